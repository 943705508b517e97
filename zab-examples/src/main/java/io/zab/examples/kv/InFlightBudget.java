package io.zab.examples.kv;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The write payload bytes the HTTP server has handed to its node and not yet seen completed.
 * The node's timed {@code submit} waits on the calling thread while its own pending budget is
 * full, and our calling thread is an event loop: staying well under that budget here means the
 * node always has room, so the call never waits; a request that does not fit gets a 503 at
 * once instead. A request always fits when no bytes are in flight, as in the node's budget, so
 * a value of the largest size is never refused for its size alone.
 *
 * <p>Thread-safe: taken on event loops, given back on whichever thread completes the future.
 */
final class InFlightBudget {
    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    /** Requests holding room, zero-byte ones (deletes, syncs) included; for tests and logs. */
    private final AtomicLong holders = new AtomicLong();

    InFlightBudget(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    boolean tryAcquire(long bytes) {
        holders.incrementAndGet();
        long after = used.addAndGet(bytes);
        if (after <= maxBytes || after == bytes) {
            return true;
        }
        release(bytes);
        return false;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
        holders.decrementAndGet();
    }

    long usedBytes() {
        return used.get();
    }

    long requests() {
        return holders.get();
    }
}
