package io.zab.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The requests a node's callers have in flight, in count and payload bytes, from the call until
 * its future completes: the edge where a caller waits for room (on its own thread, up to its own
 * wait) or is refused, so that nothing inside the node queues more than this. One request always
 * fits when none is in flight, so a txn of maxTxnBytes is never refused for its size alone.
 *
 * <p>Thread-safe. {@link #release} takes the lock only to count and signal; no thread of the node
 * waits on a caller.
 */
final class PendingBudget {
    private final int maxRequests;
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition room = lock.newCondition();
    private int requests;
    private long bytes;

    PendingBudget(int maxRequests, long maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes room for one request of {@code n} bytes, waiting up to {@code waitNanos} (0: not at
     * all); false if there was none in time or the caller was interrupted (flag kept).
     */
    boolean acquire(long n, long waitNanos) {
        lock.lock();
        try {
            long left = waitNanos;
            while (!fits(n)) {
                if (left <= 0) {
                    return false;
                }
                left = room.awaitNanos(left);
            }
            requests++;
            bytes += n;
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    void release(long n) {
        lock.lock();
        try {
            requests--;
            bytes -= n;
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean fits(long n) {
        return requests == 0 || (requests < maxRequests && bytes + n <= maxBytes);
    }

    int requests() {
        lock.lock();
        try {
            return requests;
        } finally {
            lock.unlock();
        }
    }

    long bytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Ticks of {@code tickNanos} covering what is left of a wait (at least 1 if any is left). */
    static int ticksLeft(long leftNanos, long tickNanos) {
        if (leftNanos <= 0) {
            return 0;
        }
        long ticks = (leftNanos + tickNanos - 1) / tickNanos;
        return (int) Math.min(Integer.MAX_VALUE, ticks);
    }

    static long nanosOf(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }
}
