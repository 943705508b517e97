package io.zab.examples.kv;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The request bytes the HTTP server holds, in two kinds: bodies being read or waiting their
 * turn behind a pipelined request, and writes handed to the node and not yet completed.
 *
 * <p>Bodies are counted so that many connections sending large values cannot take more memory
 * than this. Writes are counted because the node's timed {@code submit} waits on the calling
 * thread while its own pending budget is full, and our calling thread is an event loop: staying
 * well under that budget here means the node always has room, so the call never waits. A
 * request that does not fit gets a 503 at once instead. Anything fits when no bytes are held,
 * as in the node's budget, so a value of the largest size is never refused for its size alone.
 *
 * <p>Thread-safe: taken on event loops, given back there or on whichever thread completes a
 * node future.
 */
final class InFlightBudget {
    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    /** Node calls holding room, zero-byte ones (deletes, syncs) included; for tests. */
    private final AtomicLong calls = new AtomicLong();

    InFlightBudget(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Room for a body (or part of one) being read. */
    boolean tryReserve(long bytes) {
        long after = used.addAndGet(bytes);
        if (after <= maxBytes || after == bytes) {
            return true;
        }
        used.addAndGet(-bytes);
        return false;
    }

    void unreserve(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Room for a txn of {@code bytes} handed to the node; {@link #release} gives it back. */
    boolean tryAcquire(long bytes) {
        if (!tryReserve(bytes)) {
            return false;
        }
        calls.incrementAndGet();
        return true;
    }

    void release(long bytes) {
        unreserve(bytes);
        calls.decrementAndGet();
    }

    long usedBytes() {
        return used.get();
    }

    long calls() {
        return calls.get();
    }
}
