package io.zab.election.fle.sim;

import java.util.PriorityQueue;

/**
 * Virtual time for the election harness: a queue of actions ordered by (time, insertion), run one
 * at a time on the test thread. Time is in microseconds and moves only when an action runs.
 */
final class EventQueue {
    private record Scheduled(long timeUs, long seq, Runnable action) {
    }

    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>((a, b) -> {
        int c = Long.compare(a.timeUs, b.timeUs);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    private long nowUs;
    private long seq;
    private long executed;

    long nowUs() {
        return nowUs;
    }

    long executed() {
        return executed;
    }

    void at(long timeUs, Runnable action) {
        if (timeUs < nowUs) {
            throw new IllegalArgumentException("cannot schedule in the past: " + timeUs + " < "
                    + nowUs);
        }
        queue.add(new Scheduled(timeUs, seq++, action));
    }

    void after(long delayUs, Runnable action) {
        at(nowUs + delayUs, action);
    }

    /** Runs every action due up to {@code untilUs}, then sets the clock there. */
    void runUntil(long untilUs) {
        while (!queue.isEmpty() && queue.peek().timeUs <= untilUs) {
            Scheduled s = queue.poll();
            nowUs = s.timeUs;
            executed++;
            s.action.run();
        }
        nowUs = Math.max(nowUs, untilUs);
    }
}
