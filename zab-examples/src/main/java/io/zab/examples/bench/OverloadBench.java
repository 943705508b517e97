package io.zab.examples.bench;

import io.zab.NodeStatus;
import io.zab.Role;
import io.zab.ZabException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code bench --overload}, phase 2: on a cluster already measured by {@link BenchDriver}, an
 * open-loop generator offers F x that peak in submits per second, spread evenly over every node
 * (followers forward to the leader), through the untimed submit, so what finds no room is
 * refused at once rather than queued. It counts what was committed and refused (by cause), the
 * latency of what was admitted, and the role changes on every node meanwhile.
 *
 * <p>{@link #run} runs on the caller's thread and starts C generator threads. Outcomes are
 * counted in the futures' callbacks (on a generator thread for a refusal at the node's own
 * budget, on a node's delivery thread otherwise) and role changes on the nodes' delivery threads,
 * all into LongAdders: no future is kept, so millions of refusals cost no memory.
 */
final class OverloadBench {
    /** Generators send each 1 ms slot's share at its start, then park to the next slot. */
    private static final long SLOT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A late generator catches up at most this much, so a GC pause does not become a burst. */
    private static final long MAX_BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Role changes described one by one; beyond this only counted. */
    private static final int EVENTS_SHOWN = 20;

    record Result(double peak, double factor, double offeredPerSec, double committedPerSec,
            double p50, double p99, long overloaded, long notLeader, long unknown, long other,
            long roleChanges, List<String> roleEvents, Leadership before, Leadership after,
            long gcMs, String check) {
        double pctOfPeak() {
            return 100 * committedPerSec / peak;
        }
    }

    /** Who leads, as the node in broadcast as leader says; id 0 when none is. */
    record Leadership(int leader, long epoch) {
        static Leadership of(ZabTarget t) {
            for (int i = 0; i < t.size(); i++) {
                NodeStatus s = t.status(i);
                if (s.role() == Role.LEADING && s.broadcasting()) {
                    return new Leadership(s.id().value(), s.epoch());
                }
            }
            return new Leadership(0, -1);
        }

        @Override
        public String toString() {
            return leader == 0 ? "no leader" : "leader " + leader + " epoch " + epoch;
        }
    }

    /**
     * What the generators and callbacks count. Outcomes are counted by completion time, like
     * BenchDriver's ops/s, offers by call time; the totals feed the per-second lines.
     */
    private static final class Tally {
        final LongAdder offered = new LongAdder();
        final LongAdder committed = new LongAdder();
        final LongAdder overloaded = new LongAdder();
        final LongAdder notLeader = new LongAdder();
        final LongAdder unknown = new LongAdder();
        final LongAdder other = new LongAdder();
        final LongAdder allOffered = new LongAdder();
        final LongAdder allCommitted = new LongAdder();
        final LongAdder allRefused = new LongAdder();
        /** Submitted minus completed: zero once every future has completed. */
        final LongAdder inFlight = new LongAdder();
        final LongAdder roleChanges = new LongAdder();
        final Queue<String> roleEvents = new ConcurrentLinkedQueue<>();
        /** Role changes count from the first offer until every future completed. */
        volatile boolean watching;
    }

    private final BenchOptions o;
    private final PrintStream out;

    OverloadBench(BenchOptions o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    /** Runs warm-up then the measured period at {@code factor x peak} submits/s. */
    Result run(ZabTarget target, double peak) throws Exception {
        double rate = o.overloadFactor() * peak;
        out.printf(Locale.ROOT, "overload: offering %,.0f submits/s (%.1fx peak %,.0f/s) from %d"
                + " threads over %d nodes, %d s after %d s warm-up%n", rate,
                o.overloadFactor(), peak, o.clients(), target.size(), o.durationS(), o.warmupS());
        Tally tally = new Tally();
        // Admitted writes cannot outrun the cluster for long: 3x the peak leaves room.
        Latencies latencies = new Latencies((int) Math.min(50_000_000,
                Math.max(1_000_000, peak * 3 * o.durationS())));
        Leadership before = Leadership.of(target);
        long start = System.nanoTime(); // of the schedule: the first offers are due now
        for (int i = 0; i < target.size(); i++) {
            String node = String.valueOf(target.status(i).id());
            target.addRoleListener(i, (role, epoch, leader) -> {
                if (!tally.watching) {
                    return;
                }
                tally.roleChanges.increment();
                if (tally.roleChanges.sum() <= EVENTS_SHOWN) {
                    tally.roleEvents.add(String.format(Locale.ROOT, "%.3f s after the first"
                            + " offer: node %s %s epoch %d, leader %s",
                            (System.nanoTime() - start) / 1e9, node, role, epoch,
                            leader.map(String::valueOf).orElse("none")));
                }
            });
        }
        tally.watching = true;
        long measureFrom = start + TimeUnit.SECONDS.toNanos(o.warmupS());
        long end = measureFrom + TimeUnit.SECONDS.toNanos(o.durationS());
        double perThreadPerNano = rate / o.clients() / 1e9;
        List<Thread> generators = new ArrayList<>();
        for (int g = 0; g < o.clients(); g++) {
            int thread = g;
            Thread t = new Thread(() -> generate(target, thread, perThreadPerNano, start,
                    measureFrom, end, tally, latencies), "bench-overload-" + g);
            t.start();
            generators.add(t);
        }
        long gcBefore = BenchDriver.gcMillis();
        boolean measuring = false;
        long lastOffered = 0;
        long lastCommitted = 0;
        long lastRefused = 0;
        for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - now) / 1_000_000)));
            long offered = tally.allOffered.sum();
            long committed = tally.allCommitted.sum();
            long refused = tally.allRefused.sum();
            boolean warm = System.nanoTime() < measureFrom;
            out.printf(Locale.ROOT, "overload %s: offered %,d/s, committed %,d/s, refused"
                    + " %,d/s%n", warm ? "warm-up" : "measure", offered - lastOffered,
                    committed - lastCommitted, refused - lastRefused);
            lastOffered = offered;
            lastCommitted = committed;
            lastRefused = refused;
            if (!warm && !measuring) {
                measuring = true;
                gcBefore = BenchDriver.gcMillis();
            }
        }
        for (Thread t : generators) {
            t.join(60_000);
        }
        awaitDrained(tally);
        tally.watching = false;
        long gcMs = BenchDriver.gcMillis() - gcBefore;
        Leadership after = Leadership.of(target);
        double secs = o.durationS();
        // NaN, not 0, when nothing admitted completed in the measured period.
        double[] q = latencies.count() == 0 ? new double[] {Double.NaN, Double.NaN}
                : latencies.quantilesMs(0.5, 0.99);
        return new Result(peak, o.overloadFactor(), tally.offered.sum() / secs,
                tally.committed.sum() / secs, q[0], q[1], tally.overloaded.sum(),
                tally.notLeader.sum(), tally.unknown.sum(), tally.other.sum(),
                tally.roleChanges.sum(), List.copyOf(tally.roleEvents), before, after, gcMs,
                target.verify());
    }

    /** One generator thread: its share of the rate, round-robin over the nodes. */
    private void generate(ZabTarget target, int thread, double perNano, long start,
            long measureFrom, long end, Tally tally, Latencies latencies) {
        // One buffer per thread, stamped with a sequence number per txn: the node copies it
        // during submit, and random bytes for every offer would take CPU from the nodes.
        byte[] payload = new byte[o.payload()];
        new SplittableRandom(thread).nextBytes(payload);
        long seq = (long) thread << 48;
        int nodes = target.size();
        int next = thread % nodes;
        long maxBurst = Math.max(1, (long) (perNano * MAX_BURST_NANOS));
        long sent = 0;
        for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
            long due = (long) ((now - start) * perNano);
            if (due - sent > maxBurst) {
                sent = due - maxBurst; // too late: drop the older backlog
            }
            for (; sent < due; sent++) {
                stamp(payload, seq++);
                long t0 = System.nanoTime();
                tally.inFlight.increment();
                tally.allOffered.increment();
                if (t0 >= measureFrom && t0 < end) {
                    tally.offered.increment();
                }
                // handle, not whenComplete: whenComplete completes its own (unused) future
                // with a new CompletionException per refusal, whose stack trace and message
                // (the cause's toString) were 30% of what this phase allocated (JFR).
                target.submitAt(next, payload).handle((r, e) -> completed(t0, e,
                        measureFrom, end, tally, latencies));
                next = next + 1 == nodes ? 0 : next + 1;
            }
            long slotEnd = start + ((now - start) / SLOT_NANOS + 1) * SLOT_NANOS;
            LockSupport.parkNanos(slotEnd - System.nanoTime());
        }
    }

    private static void stamp(byte[] payload, long seq) {
        for (int i = 0; i < Math.min(8, payload.length); i++) {
            payload[i] = (byte) (seq >>> (8 * i));
        }
    }

    /** A future's callback: counts its outcome if it completed in the measured period. */
    private static Void completed(long t0, Throwable e, long measureFrom, long end,
            Tally tally, Latencies latencies) {
        long t1 = System.nanoTime();
        tally.inFlight.decrement();
        (e == null ? tally.allCommitted : tally.allRefused).increment();
        if (t1 < measureFrom || t1 >= end) {
            return null;
        }
        if (e == null) {
            tally.committed.increment();
            if (t0 >= measureFrom) {
                latencies.record(t1 - t0);
            }
            return null;
        }
        Throwable c = e instanceof CompletionException && e.getCause() != null
                ? e.getCause() : e;
        if (c instanceof ZabException.OverloadedException) {
            tally.overloaded.increment();
        } else if (c instanceof ZabException.NotLeaderException) {
            tally.notLeader.increment();
        } else if (c instanceof ZabException.OutcomeUnknownException) {
            tally.unknown.increment();
        } else {
            tally.other.increment();
        }
        return null;
    }

    /** Waits for every future to complete, so the replica check sees a quiet cluster. */
    private static void awaitDrained(Tally tally) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (tally.inFlight.sum() != 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(tally.inFlight.sum()
                        + " submits still unanswered 60 s after the overload phase");
            }
            Thread.sleep(10);
        }
    }

    /** The summary line, e.g. {@code overload: offered 412,345/s = 10.0x peak ...}. */
    static String summary(Result r, int nodes) {
        String leadership = r.roleChanges() == 0 && r.before().equals(r.after())
                ? r.before() + " throughout"
                : r.before() + " before, " + r.after() + " after";
        return String.format(Locale.ROOT, "overload: offered %,.0f/s = %.1fx peak %,.0f/s"
                + " (asked %.1fx); committed %,.0f/s = %.1f%% of peak; p50 %s ms p99 %s ms"
                + " (admitted); refused: overloaded %,d, not-leader %,d, unknown %,d, other %,d;"
                + " leader changes: %d role events on %d nodes (%s)", r.offeredPerSec(),
                r.offeredPerSec() / r.peak(), r.peak(), r.factor(), r.committedPerSec(),
                r.pctOfPeak(), ms(r.p50(), "-", 1), ms(r.p99(), "-", 1), r.overloaded(),
                r.notLeader(), r.unknown(), r.other(), r.roleChanges(), nodes, leadership);
    }

    /** The figures as one JSON object, the phase-1 result nested as {@code peak_run}. */
    static String json(BenchOptions o, Result r, String peakRunJson) {
        return String.format(Locale.ROOT, "{\"mode\":\"overload\",\"peak_ops_per_sec\":%.1f,"
                + "\"overload_factor\":%s,\"offered_per_sec\":%.1f,\"committed_per_sec\":%.1f,"
                + "\"committed_pct_of_peak\":%.2f,\"admitted_p50_ms\":%s,"
                + "\"admitted_p99_ms\":%s,\"refused_overloaded\":%d,\"refused_not_leader\":%d,"
                + "\"refused_outcome_unknown\":%d,\"refused_other\":%d,\"role_changes\":%d,"
                + "\"leader_before\":%d,\"epoch_before\":%d,\"leader_after\":%d,"
                + "\"epoch_after\":%d,\"gc_ms\":%d,\"nodes\":%d,\"generator_threads\":%d,"
                + "\"payload\":%d,\"fsync\":%b,\"duration_s\":%d,\"warmup_s\":%d,"
                + "\"peak_run\":%s}%n", r.peak(), Double.toString(r.factor()),
                r.offeredPerSec(), r.committedPerSec(), r.pctOfPeak(), ms(r.p50(), "null", 3),
                ms(r.p99(), "null", 3), r.overloaded(), r.notLeader(), r.unknown(), r.other(),
                r.roleChanges(), r.before().leader(), r.before().epoch(), r.after().leader(),
                r.after().epoch(), r.gcMs(), o.nodes(), o.clients(), o.payload(), o.fsync(),
                o.durationS(), o.warmupS(), peakRunJson.trim());
    }

    /** A latency with {@code decimals}, or {@code none} when there was none (NaN). */
    private static String ms(double ms, String none, int decimals) {
        return Double.isNaN(ms) ? none : String.format(Locale.ROOT, "%." + decimals + "f", ms);
    }
}
