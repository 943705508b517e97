package io.zab.election.fle;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.message.Notification;
import java.util.Set;

/**
 * Decides whether a received notification can be used at all, and if not, says why. A bad
 * notification is dropped by the election with a WARN naming the peer and the reason; it must
 * never throw, stall or steer the election (ZOOKEEPER-3769: a malformed notification killed
 * ZooKeeper's election receiver).
 *
 * <p>Pure and immutable; owned by one {@link FastLeaderElection}.
 */
final class NotificationCheck {
    /** Rounds beyond this are treated as corrupt: counting up from one never gets there. */
    static final long MAX_ROUND = Long.MAX_VALUE / 2;

    private final PeerId self;
    private final Set<PeerId> voters;
    private final Set<PeerId> observers;

    NotificationCheck(PeerId self, Set<PeerId> voters, Set<PeerId> observers) {
        this.self = self;
        this.voters = Set.copyOf(voters);
        this.observers = Set.copyOf(observers);
    }

    /** True for a voter or an observer of the ensemble. */
    boolean isMember(PeerId peer) {
        return peer != null && (voters.contains(peer) || observers.contains(peer));
    }

    /**
     * Why {@code n} from {@code from} must be ignored, or null when it is usable.
     *
     * @param version the membership version of this node's election: a notification at another
     *     one may vote for a member this node does not know yet (its vote is never counted)
     */
    String problem(PeerId from, Notification n, Zxid version) {
        if (from == null) {
            return "no sender";
        }
        if (from.equals(self)) {
            return "the notification claims to come from this node";
        }
        boolean fromObserver = observers.contains(from);
        if (!fromObserver && !voters.contains(from)) {
            return "unknown sid " + from + " (neither voter nor observer)";
        }
        String shape = shapeProblem(n);
        if (shape != null) {
            return shape;
        }
        if (fromObserver) {
            // An observer's notification is only a question ("who leads?"); its vote is unused.
            return n.state() == Role.LOOKING || n.state() == Role.OBSERVING ? null
                    : "observer claims state " + n.state();
        }
        return voterProblem(from, n, !n.membershipVersion().equals(version));
    }

    /** Why {@code n} is malformed (missing fields, a round out of range), or null. */
    static String shapeProblem(Notification n) {
        if (n == null || n.vote() == null || n.state() == null) {
            return "malformed: missing vote or state";
        }
        if (n.membershipVersion() == null) {
            return "malformed: no membership version";
        }
        Vote v = n.vote();
        if (v.leader() == null || v.zxid() == null) {
            return "malformed: vote without leader or zxid";
        }
        if (n.round() < 0 || n.round() > MAX_ROUND) {
            return "malformed: election round " + n.round() + " out of range";
        }
        return null;
    }

    private String voterProblem(PeerId from, Notification n, boolean otherMembership) {
        Vote v = n.vote();
        if (n.state() == Role.OBSERVING) {
            return "voter claims state OBSERVING";
        }
        if (!voters.contains(v.leader()) && !otherMembership) {
            return "vote for " + v.leader() + ", which is not a voter";
        }
        String epoch = epochProblem(v);
        if (epoch != null) {
            return epoch;
        }
        if (n.state() == Role.LEADING && n.abstains()) {
            return "claims LEADING while abstaining (a blank node joining the cluster)";
        }
        if (n.state() == Role.LEADING && !v.leader().equals(from)) {
            return "claims LEADING with a vote for " + v.leader();
        }
        if (n.state() == Role.FOLLOWING && v.leader().equals(from)) {
            return "claims FOLLOWING itself";
        }
        return null;
    }

    /**
     * A vote's epoch is the candidate's currentEpoch, and epochs are 32-bit (they are the high
     * half of every zxid). A vote outside that space carries an epoch from the future, one no
     * leader can ever propose: counting it would crown a node on credentials it cannot have.
     *
     * <p>The epoch of the last zxid may be above the vote's epoch, and is not checked: a learner
     * that logged the new leader's txns during synchronization but had not yet saved its new
     * currentEpoch (or stepped down first) votes with exactly that. It ranks below every node
     * that did adopt the newer epoch, which is the order Zab wants.
     */
    static String epochProblem(Vote v) {
        if (v.epoch() < 0) {
            return "negative vote epoch " + v.epoch();
        }
        if (v.epoch() > Zxid.MAX_PART) {
            return "vote epoch " + v.epoch() + " is from the future: beyond the 32-bit epoch"
                    + " space";
        }
        return null;
    }
}
