package io.zab.protocol.quorum;

import io.zab.PeerId;
import io.zab.Zxid;

/**
 * The voters' positions (how far each holds the log durably, or simply "present"), and the
 * highest position a quorum of them holds: the one place of a leader's quorum arithmetic.
 * Reused across calls, so counting an ACK allocates nothing. Not thread-safe.
 */
public final class Tally {
    private final QuorumVerifier quorum;
    private final PeerId[] ids;
    private final Zxid[] held;
    private int n;

    public Tally(QuorumVerifier quorum) {
        this.quorum = quorum;
        this.ids = new PeerId[quorum.voters().size()];
        this.held = new Zxid[ids.length];
    }

    /** Forgets every position: a new count begins. */
    public Tally clear() {
        n = 0;
        return this;
    }

    /** {@code peer} holds the log up to {@code position}; ignored unless it is a voter. */
    public Tally hold(PeerId peer, Zxid position) {
        if (!quorum.isVoter(peer)) {
            return this;
        }
        for (int i = 0; i < n; i++) {
            if (ids[i].equals(peer)) {
                held[i] = Zxid.max(held[i], position);
                return this;
            }
        }
        ids[n] = peer;
        held[n] = position;
        n++;
        return this;
    }

    /** {@code peer} counts (for a count without positions: votes, acks of a step). */
    public Tally count(PeerId peer) {
        return hold(peer, Zxid.ZERO);
    }

    /** The highest position a quorum holds (every voter of some quorum at or past it), or null. */
    public Zxid highest() {
        return quorum.highestHeld(ids, held, n);
    }

    /** Whether the voters counted form a quorum. */
    public boolean reached() {
        return highest() != null;
    }
}
