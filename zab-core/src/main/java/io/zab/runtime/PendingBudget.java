package io.zab.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The requests a node's callers have in flight, in count and payload bytes, from the call until
 * its future completes: the edge where a caller waits for room (on its own thread, up to its own
 * wait) or is refused, so that nothing inside the node queues more than this. One request always
 * fits when none is in flight, so a txn of maxTxnBytes is never refused for its size alone.
 *
 * <p>Thread-safe and lock-free on the paths every request takes: taking room and giving it back
 * are one compare-and-set on a word holding both counts (under overload a refusal must cost
 * almost nothing, and the delivery thread that gives room back must never queue behind callers).
 * Only callers that wait for room take a lock, and {@link #release} signals them only when one
 * is waiting.
 */
final class PendingBudget {
    /** The request count sits above the bytes in {@link #state}. */
    private static final int BYTES_BITS = 43;
    private static final long BYTES_MASK = (1L << BYTES_BITS) - 1;
    /** Largest pendingMaxTxns that fits the packed word. */
    static final int MAX_REQUESTS = (1 << 20) - 1;
    /** Largest pendingMaxBytes that fits the packed word (8 TiB). */
    static final long MAX_BYTES = BYTES_MASK;

    /** Changed only by {@link #resize}; read on every acquire. */
    private volatile int maxRequests;
    private volatile long maxBytes;
    private final AtomicLong state = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private volatile int waiters;

    PendingBudget(int maxRequests, long maxBytes) {
        check(maxRequests, maxBytes);
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    private static void check(int maxRequests, long maxBytes) {
        if (maxRequests > MAX_REQUESTS || maxBytes > MAX_BYTES) {
            throw new IllegalArgumentException("pending budget too large: " + maxRequests
                    + " requests, " + maxBytes + " bytes");
        }
    }

    /**
     * New limits (the membership changed). Requests in flight keep their room; when the limits
     * shrank below what they hold, new requests wait or are refused until enough completed.
     * Waiting callers look again at once when the limits grew.
     */
    void resize(int maxRequests, long maxBytes) {
        check(maxRequests, maxBytes);
        if (maxRequests == this.maxRequests && maxBytes == this.maxBytes) {
            return;
        }
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        wakeWaiters();
    }

    int maxRequests() {
        return maxRequests;
    }

    long maxBytes() {
        return maxBytes;
    }

    /**
     * Takes room for one request of {@code n} bytes, waiting up to {@code waitNanos} (0: not at
     * all); false if there was none in time or the caller was interrupted (flag kept).
     */
    boolean acquire(long n, long waitNanos) {
        if (tryAcquire(n)) {
            return true;
        }
        if (waitNanos <= 0) {
            return false;
        }
        long deadline = System.nanoTime() + waitNanos;
        lock.lock();
        waiters++;
        try {
            while (!tryAcquire(n)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                room.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiters--;
            lock.unlock();
        }
    }

    private boolean tryAcquire(long n) {
        while (true) {
            long s = state.get();
            long requests = s >>> BYTES_BITS;
            long bytes = s & BYTES_MASK;
            boolean fits = requests == 0 || (requests < maxRequests && bytes + n <= maxBytes);
            if (!fits) {
                return false;
            }
            if (state.compareAndSet(s, ((requests + 1) << BYTES_BITS) | (bytes + n))) {
                return true;
            }
        }
    }

    void release(long n) {
        state.addAndGet(-((1L << BYTES_BITS) + n));
        wakeWaiters();
    }

    /** Callers waiting for room look again; no lock is taken when none waits. */
    private void wakeWaiters() {
        if (waiters > 0) {
            lock.lock();
            try {
                room.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    int requests() {
        return (int) (state.get() >>> BYTES_BITS);
    }

    long bytes() {
        return state.get() & BYTES_MASK;
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
