package io.zab.protocol;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * This node's standing in the membership (whether it may follow and vote, and as what it
 * learns), the peers it last told the driver to talk to (Action.PeersChanged), and the
 * membership the roles last counted quorums by. Single-threaded: the core's, on the protocol
 * thread.
 */
final class Peers {
    private static final Logger LOG = ZabCore.LOG;

    private final ZabCore core;
    private final CoreConfig config;
    private final Memberships memberships;
    /** The peers last given to the driver (Action.PeersChanged), and what they came from. */
    private Map<PeerId, String> peersSent;
    private long peersGeneration = -1;
    private PeerId peersLeader;
    private boolean peersTalk;
    /** What the roles were last told of the membership (to tell them when it changes). */
    private QuorumVerifier quorumSeen;
    private long generationSeen;
    /** This node was a member of a committed membership since it started. */
    private boolean wasMember;

    Peers(ZabCore core) {
        this.core = core;
        this.config = core.config();
        this.memberships = core.memberships();
        this.quorumSeen = memberships.quorum();
        this.generationSeen = memberships.generation();
    }

    /**
     * After an event: the roles count quorums anew if the membership changed, and the driver
     * learns the peers to talk to. Last, so that messages the event sent to a member that just
     * left (the COMMIT of its removal) are queued before its connection is closed.
     */
    void settled() {
        mayFollow(); // notes that we are a member before the roles hear of a change
        // Also when only who it knows changed: a staged change that ended leaves its joiners
        // unknown, and a leader must drop them as learners, or it keeps feeding a follower whose
        // messages it drops (seed 404723: its forwarded writes were never answered).
        if (memberships.quorum() != quorumSeen || memberships.generation() != generationSeen) {
            quorumSeen = memberships.quorum();
            generationSeen = memberships.generation();
            RoleState role = core.roleState();
            if (role != null) {
                role.onMembershipChanged();
            }
        }
        announce();
    }

    void announce() {
        PeerId leader = core.leaderHint();
        boolean talks = mayFollow() || core.roleState() != null;
        if (memberships.generation() == peersGeneration && Objects.equals(leader, peersLeader)
                && talks == peersTalk) {
            return; // nothing it depends on changed: no map built for every event
        }
        peersGeneration = memberships.generation();
        peersLeader = leader;
        peersTalk = talks;
        // A member removed for good talks to no one once it has no role: the others refuse it
        // anyway. Until then (a removed leader handing over) it talks to the members.
        Map<PeerId, String> peers = mayFollow() || core.roleState() != null
                ? memberships.peers(config.self()) : Map.of();
        if (leader != null && !leader.equals(config.self()) && !peers.containsKey(leader)) {
            // Our leader was just removed by the change it committed, or we have not learned
            // of it yet (a SNAP replaced the history that named it): we follow it until its
            // TAKEOVER names the next leader, or we lose it, so its link must stay.
            String address = memberships.addressOf(leader);
            if (address == null && peersSent != null) {
                address = peersSent.get(leader);
            }
            if (address != null) {
                peers = new java.util.TreeMap<>(peers);
                peers.put(leader, address);
            }
        }
        if (!peers.equals(peersSent)) {
            peersSent = peers;
            core.emit(new Action.PeersChanged(peers));
        }
    }

    /**
     * A leader's committed membership, from NEWLEADER: adopted (and saved before the ACK of
     * NEWLEADER, which waits for every earlier storage action) when it is newer than ours, or
     * of the same version with other members (a joiner's static membership is not the one the
     * cluster started with).
     */
    void adopt(Membership leaders) {
        Membership ours = memberships.committed();
        if (leaders == null || leaders.version().isBefore(ours.version())
                || (leaders.version().equals(ours.version()) && leaders.sameMembers(ours))) {
            return;
        }
        memberships.adoptCommitted(leaders);
        LOG.info("node {}: adopting the leader's {}", config.self(), leaders);
        core.delivery().saveMembership(leaders);
    }

    /**
     * Whether this node may follow a leader: it is a member of the committed membership, or it
     * was started to join (it syncs as a learner the leader is staging, before it is one).
     */
    boolean mayFollow() {
        if (memberships.committed().contains(config.self())) {
            wasMember = true;
            return true;
        }
        // Started to join (or blank): it follows until a change makes it a member; once it
        // was one, a committed membership without it removed it.
        return config.joinExisting() && !wasMember;
    }

    /**
     * A voter that joins an existing cluster with no currentEpoch may have acknowledged txns
     * before its disk was lost; until a leader has synced it (currentEpoch is saved only after
     * the leader's history is durable here), its empty history must not count in an election.
     */
    boolean mayVote() {
        // A voter being removed keeps its vote until the removal commits: the old voters'
        // side of the joint quorum may need it if the leader fails mid-change (a stall seen
        // with real processes). One being added votes as soon as it has seen the change.
        return !blank() && (memberships.committed().isVoter(config.self())
                        || memberships.newest().isVoter(config.self()));
    }

    /**
     * Started blank to join an existing cluster and not synced since: its acceptedEpoch says
     * nothing of the epochs it promised before it lost its disk.
     */
    boolean blank() {
        return config.joinExisting() && core.currentEpoch() == 0;
    }

    /** Whether this node learns as an observer: its role in the newest membership it knows. */
    boolean isObserver() {
        return memberships.isObserver(config.self());
    }
}
