package io.zab.it;

import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A client that keeps writing: unique payloads ({@code prefix + sequence number}), each
 * submitted once to a node {@code target} picks, with at most {@code inflight} unanswered at a
 * time. It records every acknowledged payload with its zxid, and counts failures by exception
 * type. Acknowledged means the future completed normally: committed and delivered on the node
 * it was submitted to.
 *
 * <p>Its own thread submits; futures complete on the nodes' delivery threads. The accessors
 * may be called from any thread.
 */
final class Writer implements AutoCloseable {
    private final String prefix;
    private final Supplier<ZabNode> target;
    private final int inflight;
    private final Semaphore permits;
    private final Thread thread;
    private final ConcurrentMap<String, Zxid> acked = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> failures = new ConcurrentHashMap<>();
    /** Each failed payload with the simple name of its exception's type. */
    private final ConcurrentMap<String, String> failed = new ConcurrentHashMap<>();
    private final AtomicLong submitted = new AtomicLong();
    private volatile long lastFailureNanos;
    private volatile boolean stopped;
    private volatile Throwable crash;

    Writer(String prefix, Supplier<ZabNode> target, int inflight) {
        this.prefix = prefix;
        this.target = target;
        this.inflight = inflight;
        this.permits = new Semaphore(inflight);
        this.thread = new Thread(this::run, "writer-" + prefix);
        this.thread.setDaemon(true);
    }

    Writer start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            for (long seq = 0; !stopped; ) {
                if (!permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                if (System.nanoTime() - lastFailureNanos < TimeUnit.MILLISECONDS.toNanos(20)) {
                    // No leader right now: back off a little rather than spin on failures.
                    Thread.sleep(5);
                }
                ZabNode node = target.get();
                if (node == null) {
                    permits.release();
                    Thread.sleep(5);
                    continue;
                }
                String payload = prefix + seq++;
                submitted.incrementAndGet();
                CompletableFuture<SubmitResult> f = node.submit(ByteBuffer.wrap(
                        payload.getBytes(StandardCharsets.UTF_8)));
                f.whenComplete((r, e) -> {
                    if (e == null) {
                        acked.put(payload, r.zxid());
                    } else {
                        lastFailureNanos = System.nanoTime();
                        failures.computeIfAbsent(e.getClass().getSimpleName(),
                                k -> new AtomicLong()).incrementAndGet();
                        failed.put(payload, e.getClass().getSimpleName());
                    }
                    permits.release();
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            crash = e;
        }
    }

    /** Waits until at least {@code n} writes are acknowledged in total. */
    void awaitAcked(TestCluster<?> cluster, long n)
            throws InterruptedException, TimeoutException {
        Clusters.await(cluster, n + " acknowledged writes (have " + acked.size()
                + ", failures " + failures() + ")", () -> acked.size() >= n);
    }

    /** Stops submitting and waits until every submitted write has its answer. */
    void stop() throws InterruptedException {
        stopped = true;
        thread.join(TimeUnit.SECONDS.toMillis(10));
        if (!permits.tryAcquire(inflight, Clusters.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError((inflight - permits.availablePermits())
                    + " submitted writes never got an answer");
        }
        permits.release(inflight);
        if (crash != null) {
            throw new AssertionError("the writer failed", crash);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }

    Map<String, Zxid> acked() {
        return acked;
    }

    long submitted() {
        return submitted.get();
    }

    /** Failure counts by exception type, e.g. {NotLeaderException=3}. */
    Map<String, Long> failures() {
        Map<String, Long> m = new TreeMap<>();
        failures.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** The payloads whose submit failed with {@code type}. */
    Set<String> failedWith(Class<?> type) {
        Set<String> out = new TreeSet<>();
        failed.forEach((payload, t) -> {
            if (t.equals(type.getSimpleName())) {
                out.add(payload);
            }
        });
        return out;
    }

    /** Checks that no failure was of a type that {@code allowed} does not list. */
    void assertFailuresOnly(Class<?>... allowed) {
        for (String type : failures().keySet()) {
            boolean ok = false;
            for (Class<?> c : allowed) {
                ok |= c.getSimpleName().equals(type);
            }
            if (!ok) {
                throw new AssertionError("unexpected failures: " + failures());
            }
        }
    }

    /**
     * Checks that every acknowledged write is in {@code record} (a {@link HistoryMachine}'s
     * bytes) at the zxid it was acknowledged with.
     */
    void assertAllAckedIn(byte[] record) {
        Map<String, Zxid> delivered = HistoryMachine.index(record);
        for (Map.Entry<String, Zxid> e : acked.entrySet()) {
            Zxid at = delivered.get(e.getKey());
            if (!e.getValue().equals(at)) {
                throw new AssertionError("acknowledged write " + e.getKey() + " at "
                        + e.getValue() + " is " + (at == null ? "missing" : "at " + at));
            }
        }
    }

    static Class<?>[] transientFailures() {
        return new Class<?>[] {ZabException.NotLeaderException.class,
            ZabException.OutcomeUnknownException.class, ZabException.ClosedException.class,
            ZabException.OverloadedException.class};
    }
}
