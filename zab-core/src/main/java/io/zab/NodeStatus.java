package io.zab;

import java.util.Optional;

/**
 * A snapshot of a node's state for monitoring: role, epoch, leader, and the positions
 * lastLogged ≥ lastCommitted ≥ lastDelivered (delivered as reported by the delivery thread).
 * {@code abstaining}: a voter started blank with {@code initialClusterState EXISTING} that has
 * not been synced yet, so it does not vote (see {@link ZabConfig.InitialClusterState}).
 */
public record NodeStatus(PeerId id, Role role, long epoch, Optional<PeerId> leader,
        boolean broadcasting, Zxid lastLoggedZxid, Zxid lastCommittedZxid,
        Zxid lastDeliveredZxid, boolean abstaining) {
}
