package io.zab.protocol.message;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;

/**
 * An election notification: the sender's current vote, its election round (logical clock) and
 * its state. A node that is FOLLOWING or LEADING answers a LOOKING one with the leader it has.
 *
 * <p>{@code abstains} is set by a voter that may not vote yet: it was started blank to join an
 * existing cluster (its data directory was lost or is new) and has not completed a sync with an
 * established leader. Its history is empty although it may have acknowledged txns before it lost
 * them, so counting it could elect a node that misses a committed txn (RELIABILITY S26). Others
 * treat it like an observer: they answer it, never count it and never follow its vote.
 *
 * <p>{@code membershipVersion} is the version of the newest committed membership the sender
 * knows ({@link io.zab.Membership#version()}, {@link Zxid#ZERO} for the configured one). Votes
 * only count among nodes at the same version: two nodes that know different committed
 * memberships disagree on who votes and what a quorum is. {@code membership} is that
 * membership itself (null at version zero): a node that missed the commit adopts it (a
 * committed membership is a fact), talks to its members and looks again, as ZooKeeper's
 * notifications carry the configuration for the same reason.
 */
public record Notification(Vote vote, long round, Role state, boolean abstains,
        Zxid membershipVersion, io.zab.Membership membership) implements Message {

    public Notification {
        if (membership != null && !membership.version().equals(membershipVersion)) {
            throw new IllegalArgumentException("membership " + membership.version()
                    + " is not of version " + membershipVersion);
        }
    }

    /** A notification with a membership version only. */
    public Notification(Vote vote, long round, Role state, boolean abstains,
            Zxid membershipVersion) {
        this(vote, round, state, abstains, membershipVersion, null);
    }

    /** The same notification carrying the membership of its version. */
    public Notification withMembership(io.zab.Membership m) {
        return new Notification(vote, round, state, abstains, membershipVersion, m);
    }

    /** A notification of a node that knows only the configured membership. */
    public Notification(Vote vote, long round, Role state, boolean abstains) {
        this(vote, round, state, abstains, Zxid.ZERO);
    }

    /** A notification of a node that may vote (every voter after its first sync). */
    public Notification(Vote vote, long round, Role state) {
        this(vote, round, state, false);
    }
}
