package io.zab.runtime;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * An unbounded queue from any number of threads to one consumer thread, for the node's own
 * threads (protocol, log writer, delivery). Adding never blocks and takes no lock; the consumer
 * is woken only when it sleeps, once however many items arrive meanwhile. A lock-based queue
 * (LinkedBlockingQueue) made every hand-off between two busy threads contend on its lock: in a
 * profile of the 128 B bench its lock release and wake-ups took about a sixth of the CPU. What
 * bounds a queue is upstream (admission budgets, windows, the inbox's byte bound).
 *
 * <p>Threads: {@link #add} and {@link #clear} from any thread; {@link #poll()} and the waiting
 * polls from the consumer only (the first thread that waits becomes the consumer).
 *
 * @param <T> the items
 */
final class Handoff<T> {
    private final ConcurrentLinkedQueue<T> items = new ConcurrentLinkedQueue<>();
    /** True while the consumer is about to sleep or sleeps; whoever clears it wakes it. */
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private volatile Thread consumer;

    /** Adds {@code item}; never blocks. */
    void add(T item) {
        items.offer(item);
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            LockSupport.unpark(consumer);
        }
    }

    /** The next item, or null when there is none; does not wait. */
    T poll() {
        return items.poll();
    }

    /** The next item, waiting for one up to {@code timeout}; null if none came in time. */
    T poll(long timeout, TimeUnit unit) throws InterruptedException {
        T item = items.poll();
        if (item != null) {
            return item;
        }
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        consumer = Thread.currentThread();
        while (true) {
            // Announce the sleep, then look again: an add that came in between either is seen
            // by this poll or sees the flag and unparks (the permit outlives the park below).
            sleeping.set(true);
            item = items.poll();
            if (item != null) {
                sleeping.set(false);
                return item;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                sleeping.set(false);
                return null;
            }
            LockSupport.parkNanos(this, left);
            sleeping.set(false);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            item = items.poll();
            if (item != null) {
                return item;
            }
        }
    }

    /** The next item, waiting as long as it takes. */
    T take() throws InterruptedException {
        while (true) {
            T item = poll(1, TimeUnit.HOURS);
            if (item != null) {
                return item;
            }
        }
    }

    /** Drops every queued item. */
    void clear() {
        items.clear();
    }

    boolean isEmpty() {
        return items.isEmpty();
    }
}
