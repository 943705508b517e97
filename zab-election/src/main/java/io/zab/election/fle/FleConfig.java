package io.zab.election.fle;

/**
 * The timing of Fast Leader Election, counted in the node's ticks (100 ms by default).
 *
 * <p>ZooKeeper waits {@code finalizeWait} = 200 ms after a quorum backs its vote, starts its
 * notification timeout at the same 200 ms and doubles it up to 60 s. We keep the first two (two
 * ticks) but cap the backoff at 40 ticks (4 s): ZooKeeper resends only to reconnect a TCP
 * channel that keeps its last message, while here the periodic resend is how a lost notification
 * is repaired, so a long cap would only delay the rejoin of a healed partition.
 *
 * <p>Immutable; any thread.
 *
 * @param finalizeWaitTicks how long a quorum must back this node's vote, with no better vote
 *     arriving, before the node decides
 * @param notificationTimeoutMinTicks the first resend interval of a looking node
 * @param notificationTimeoutMaxTicks the cap of the doubling resend interval
 */
public record FleConfig(int finalizeWaitTicks, int notificationTimeoutMinTicks,
        int notificationTimeoutMaxTicks) {

    public static final FleConfig DEFAULT = new FleConfig(2, 2, 40);

    public FleConfig {
        if (finalizeWaitTicks < 1) {
            throw new IllegalArgumentException("finalizeWaitTicks must be at least 1: "
                    + finalizeWaitTicks);
        }
        if (notificationTimeoutMinTicks < 1) {
            throw new IllegalArgumentException("notificationTimeoutMinTicks must be at least 1: "
                    + notificationTimeoutMinTicks);
        }
        if (notificationTimeoutMaxTicks < notificationTimeoutMinTicks) {
            throw new IllegalArgumentException("notificationTimeoutMaxTicks ("
                    + notificationTimeoutMaxTicks + ") is below notificationTimeoutMinTicks ("
                    + notificationTimeoutMinTicks + ")");
        }
    }
}
