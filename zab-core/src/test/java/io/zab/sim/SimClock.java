package io.zab.sim;

import java.util.PriorityQueue;

/**
 * The virtual clock and the event queue of one simulation. Time is in virtual microseconds and
 * moves only when {@link #step} runs the next event; events due at the same time run in the order
 * they were scheduled, so a run depends on nothing but its seed.
 *
 * <p>One thread.
 */
public final class SimClock {
    public static final long MILLIS = 1_000;
    public static final long SECONDS = 1_000_000;

    private static final class Entry implements Comparable<Entry> {
        final long time;
        final long seq;
        final Runnable task;

        Entry(long time, long seq, Runnable task) {
            this.time = time;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private long now;
    private long nextSeq;
    private long steps;

    public long now() {
        return now;
    }

    /** How many events ran so far. */
    public long steps() {
        return steps;
    }

    public int pending() {
        return queue.size();
    }

    public void at(long time, Runnable task) {
        if (time < now) {
            throw new IllegalArgumentException("event at " + time + " is in the past (now " + now
                    + ")");
        }
        queue.add(new Entry(time, nextSeq++, task));
    }

    public void after(long delay, Runnable task) {
        at(now + delay, task);
    }

    /** The time of the next event, or Long.MAX_VALUE when none is queued. */
    public long nextTime() {
        Entry e = queue.peek();
        return e == null ? Long.MAX_VALUE : e.time;
    }

    /** Runs the next event if it is due at or before {@code deadline}; false when none is. */
    public boolean stepUntil(long deadline) {
        Entry e = queue.peek();
        if (e == null || e.time > deadline) {
            return false;
        }
        queue.poll();
        now = e.time;
        steps++;
        e.task.run();
        return true;
    }

    /** Moves time forward to {@code time} with no event run (nothing may be due before it). */
    public void advanceTo(long time) {
        if (time < now) {
            throw new IllegalArgumentException("cannot go back from " + now + " to " + time);
        }
        if (nextTime() < time) {
            throw new IllegalStateException("events are due before " + time);
        }
        now = time;
    }

    public static String format(long micros) {
        return String.format("%d.%06ds", micros / SECONDS, micros % SECONDS);
    }
}
