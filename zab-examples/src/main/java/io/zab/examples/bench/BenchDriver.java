package io.zab.examples.bench;

import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a target from C client threads with at most W writes outstanding in total, for a
 * warm-up and then a measured period, printing ops/s each second.
 */
final class BenchDriver {
    record Result(String target, long ops, double opsPerSec, double mbPerSec, double p50,
            double p99, double p999, double max, long errors, long gcMs, String check) {
    }

    private final BenchOptions o;
    private final PrintStream out;

    BenchDriver(BenchOptions o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    Result run(BenchTarget target) throws Exception {
        Semaphore window = new Semaphore(o.window());
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Latencies latencies = new Latencies(50_000_000);
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(o.warmupS());
        long end = measureFrom + TimeUnit.SECONDS.toNanos(o.durationS());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < o.clients(); c++) {
            int client = c;
            Thread t = new Thread(() -> clientLoop(target, client, window, completed, errors,
                    latencies, measureFrom, end), "bench-client-" + c);
            t.start();
            clients.add(t);
        }
        long gcBefore = gcMillis();
        long lastCount = 0;
        long measuredStartCount = -1;
        long measuredEndCount = 0;
        for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - now) / 1_000_000)));
            long count = completed.get();
            boolean warm = System.nanoTime() < measureFrom;
            out.printf("%s %s: %,d ops/s%n", target.name(), warm ? "warm-up" : "measure",
                    count - lastCount);
            lastCount = count;
            if (!warm && measuredStartCount < 0) {
                measuredStartCount = count;
                gcBefore = gcMillis();
            }
            measuredEndCount = count;
        }
        for (Thread t : clients) {
            t.join(60_000);
        }
        window.acquire(o.window()); // every outstanding write answered
        long ops = measuredEndCount - Math.max(0, measuredStartCount);
        double secs = o.durationS();
        double[] q = latencies.quantilesMs(0.5, 0.99, 0.999, 1.0);
        return new Result(target.name(), ops, ops / secs, ops * (double) o.payload() / secs / 1e6,
                q[0], q[1], q[2], q[3], errors.get(), gcMillis() - gcBefore, target.verify());
    }

    /** Distinct payloads each client cycles through. */
    private static final int PAYLOADS = 64;

    private void clientLoop(BenchTarget target, int client, Semaphore window,
            AtomicLong completed, AtomicLong errors, Latencies latencies, long measureFrom,
            long end) {
        // Made up front: filling 1 KiB of random bytes per write cost the clients about 5% of
        // the machine's CPU, which the replicas being measured then lacked. Payloads are never
        // changed once submitted, so cycling through a few is safe.
        SplittableRandom random = new SplittableRandom(client);
        byte[][] payloads = new byte[PAYLOADS][o.payload()];
        for (byte[] p : payloads) {
            random.nextBytes(p);
        }
        try {
            for (long n = 0; System.nanoTime() < end; ) {
                if (!window.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                byte[] payload = payloads[(int) (n++ % PAYLOADS)];
                long t0 = System.nanoTime();
                target.submit(client, payload, ok -> {
                    long t1 = System.nanoTime();
                    if (!ok) {
                        errors.incrementAndGet();
                    } else if (t0 >= measureFrom && t1 <= end) {
                        latencies.record(t1 - t0);
                    }
                    completed.incrementAndGet();
                    window.release();
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }
}
