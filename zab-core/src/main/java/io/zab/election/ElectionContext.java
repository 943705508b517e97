package io.zab.election;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Set;

/**
 * What an election sees of its node: its id, who votes, who observes, and a way to send. Given
 * by {@code ZabCore} on the protocol thread; {@link #send} only records an action, it does no
 * I/O. Who votes and who observes may change with the membership: an election reads them at
 * init and again at every {@code lookForLeader}, with {@link #membershipVersion}.
 */
public interface ElectionContext {
    PeerId self();

    QuorumVerifier quorum();

    Set<PeerId> observers();

    void send(PeerId to, Notification notification);

    /**
     * False while this voter must abstain: it started blank to join an existing cluster and has
     * not yet completed a sync with an established leader (see {@link Notification#abstains}).
     * An abstaining voter neither votes nor can be elected; it learns the leader from the others,
     * like an observer, and follows it. Read at every {@code lookForLeader} and every send.
     */
    default boolean mayVote() {
        return true;
    }

    /**
     * Whether this node is a member (voter or observer) of the newest membership it knows. A
     * node that is not (started to join, before a leader added it) never votes and follows a
     * leader on that leader's own LEADING notification: it has no vote to lose, and only the
     * leader staging it can reach it.
     */
    default boolean isMember() {
        return quorum().isVoter(self()) || observers().contains(self());
    }

    /**
     * Whether {@code peer} may be elected: a voter of the newest committed membership this node
     * knows. While a change is in flight its new voters count toward quorums (joint ones) but
     * cannot be elected until it commits: nodes that missed the change do not know them, and
     * would never back them (random simulation seed 807401). Every node at one membership
     * version agrees on this set. The leader elected this way commits the change (or, without
     * it, cuts it) and, if the change removed it, hands over to a new voter. ZooKeeper's
     * election likewise ranks only voters of the committed configuration. The default, for a
     * context that never changes its membership, is every voter.
     */
    default boolean isCandidate(PeerId peer) {
        return quorum().isVoter(peer);
    }

    /**
     * What this node's notifications say in their {@code abstains} flag: it is a voter that
     * may not vote yet. Observers never vote and are not said to abstain. Read live: a voter
     * stops abstaining once its first sync is durable.
     */
    default boolean abstains() {
        return quorum().isVoter(self()) && !mayVote();
    }

    /**
     * The version of the newest membership this node knows ({@link io.zab.Membership#version()};
     * {@link Zxid#ZERO} while it knows only the configured one). Its notifications carry it, and
     * an election counts only the votes of nodes at the same version. Read at every
     * {@code lookForLeader}.
     */
    default Zxid membershipVersion() {
        return Zxid.ZERO;
    }
}
