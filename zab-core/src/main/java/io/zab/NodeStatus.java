package io.zab;

import java.util.Optional;

/**
 * A snapshot of a node's state for monitoring: role, epoch, leader, and the positions
 * lastLogged ≥ lastCommitted ≥ lastDelivered (delivered as reported by the delivery thread).
 * {@code abstaining}: a voter started blank with {@code initialClusterState EXISTING} that has
 * not been synced yet, so it does not vote (see {@link ZabConfig.InitialClusterState}).
 * {@code pendingRequests} and {@code pendingBytes}: the callers' requests in flight (see
 * {@link ZabConfig#pendingMaxTxns()}); {@code queuedBytes}: payload bytes waiting inside the
 * node (received messages, appends for the log writer, txns for the state machine).
 */
public record NodeStatus(PeerId id, Role role, long epoch, Optional<PeerId> leader,
        boolean broadcasting, Zxid lastLoggedZxid, Zxid lastCommittedZxid,
        Zxid lastDeliveredZxid, boolean abstaining, int pendingRequests, long pendingBytes,
        long queuedBytes) {

    /** The same status with the node's pending budget in use. */
    public NodeStatus withPending(int requests, long bytes) {
        return new NodeStatus(id, role, epoch, leader, broadcasting, lastLoggedZxid,
                lastCommittedZxid, lastDeliveredZxid, abstaining, requests, bytes, queuedBytes);
    }
}
