package io.zab.election.fle;

/**
 * The resend timer of a looking node: it fires after {@code interval} ticks without a broadcast,
 * and each time it fires the interval doubles, up to a cap (ZooKeeper's notification timeout).
 * A broadcast made for another reason (a better vote, a new round) restarts the countdown but
 * keeps the interval; only a new election brings the interval back to its minimum.
 *
 * <p>Not thread-safe; owned by one {@link FastLeaderElection}.
 */
final class Backoff {
    private final int minTicks;
    private final int maxTicks;
    private int intervalTicks;
    private int ticksLeft;

    Backoff(int minTicks, int maxTicks) {
        if (minTicks < 1 || maxTicks < minTicks) {
            throw new IllegalArgumentException("backoff needs 1 <= min <= max, got min "
                    + minTicks + ", max " + maxTicks);
        }
        this.minTicks = minTicks;
        this.maxTicks = maxTicks;
        reset();
    }

    /** A new election: back to the shortest interval. */
    void reset() {
        intervalTicks = minTicks;
        ticksLeft = minTicks;
    }

    /** The node just broadcast its vote: the next resend is one full interval away. */
    void restart() {
        ticksLeft = intervalTicks;
    }

    /** One tick passed; true when the node should resend its vote now. */
    boolean onTick() {
        ticksLeft--;
        if (ticksLeft > 0) {
            return false;
        }
        // Doubling in long and capping keeps a large cap from overflowing.
        intervalTicks = (int) Math.min((long) intervalTicks * 2, maxTicks);
        ticksLeft = intervalTicks;
        return true;
    }

    int intervalTicks() {
        return intervalTicks;
    }
}
