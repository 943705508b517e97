package io.zab;

/**
 * What a leader knows of one of its learners, in {@link NodeStatus#learners()}. Immutable.
 *
 * @param observer whether the learner is an observer (it never counts toward a quorum)
 * @param phase where it stands, for an operator: "discovery", "syncing", "syncing by SNAP 40%
 *     (…)", "broadcast"
 * @param ackedZxid the last txn it acknowledged as durable
 * @param lagTxns how many txns the leader logged that it has not acknowledged; across epochs an
 *     estimate (the leader's count in its own epoch when the learner acked none of it)
 */
public record LearnerStatus(boolean observer, String phase, Zxid ackedZxid, long lagTxns) {
}
