package io.zab;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of a node's state for monitoring, from {@link ZabNode#status()}. The protocol
 * keeps lastLogged ≥ lastCommitted ≥ lastDelivered, but here the protocol thread's fields are
 * as it last published them (under load they trail) while {@code lastDeliveredZxid},
 * {@code pendingRequests}, {@code pendingBytes} and {@code queuedBytes} are read at the call, so
 * {@code lastDeliveredZxid} can be ahead of {@code lastCommittedZxid} in one status. Immutable.
 *
 * @param id this node's id
 * @param role its role; LOOKING also while the node is away after a storage failure, stopped
 *     or closed
 * @param epoch the epoch it leads or follows in, or else (while LOOKING, or before the new
 *     leader's epoch is known) its current epoch
 * @param leader the leader it follows, its own id when leading; empty while LOOKING
 * @param broadcasting true for an established leader and for a learner its leader brought up
 *     to date (UPTODATE): its calls then reach a leader
 * @param lastLoggedZxid the last txn in its history, handed to the log writer (possibly not
 *     durable yet)
 * @param lastCommittedZxid the last txn it knows to be committed
 * @param lastDeliveredZxid the last txn its state machine applied (or the snapshot it was last
 *     restored from)
 * @param abstaining a voter started blank with {@code initialClusterState EXISTING} that has
 *     not been synced yet, so it does not vote (see {@link ZabConfig.InitialClusterState})
 * @param pendingRequests the callers' requests in flight, submits and syncs (see
 *     {@link ZabConfig#pendingMaxTxns()})
 * @param pendingBytes the payload bytes of those requests (see
 *     {@link ZabConfig#pendingMaxBytes()})
 * @param queuedBytes bytes waiting inside the node: received messages (payload plus 64 bytes
 *     each), txns for the log writer and txns for the state machine
 * @param inflightBytes on a leader, the payload bytes it proposed that its state machine has
 *     not applied yet (its in-flight budget in use, see
 *     {@link ZabConfig#proposalsInflightMaxBytes()}); 0 on other roles
 * @param learners on a leader, each learner's phase and lag; empty on other roles
 * @param lastElection how long this node last went without a leader in broadcast, from the
 *     moment it began looking to the moment it served again; empty before the first time
 * @param explanation why the node is in its state, in a few words for an operator, e.g.
 *     "looking for a leader for 3.2 s: hears 1 of 2 other voters (3 silent for 3.1 s)" or
 *     "following 3: syncing by SNAP 40% (…)"; refreshed once a tick
 * @param membership the newest committed membership this node knows (its version is the zxid
 *     of the change that made it; zero for the one the cluster started with)
 * @param membershipChange a change this node has seen proposed and not yet committed
 */
public record NodeStatus(PeerId id, Role role, long epoch, Optional<PeerId> leader,
        boolean broadcasting, Zxid lastLoggedZxid, Zxid lastCommittedZxid,
        Zxid lastDeliveredZxid, boolean abstaining, int pendingRequests, long pendingBytes,
        long queuedBytes, long inflightBytes, Map<PeerId, LearnerStatus> learners,
        Optional<Duration> lastElection, String explanation, Membership membership,
        Optional<Membership> membershipChange) {

    /**
     * The same status with the node's pending budget in use; the node fills these in.
     *
     * @param requests requests in flight
     * @param bytes their payload bytes
     * @return a copy with {@code pendingRequests} and {@code pendingBytes} replaced
     */
    public NodeStatus withPending(int requests, long bytes) {
        return new NodeStatus(id, role, epoch, leader, broadcasting, lastLoggedZxid,
                lastCommittedZxid, lastDeliveredZxid, abstaining, requests, bytes, queuedBytes,
                inflightBytes, learners, lastElection, explanation, membership,
                membershipChange);
    }
}
