package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;

/**
 * How a host request ended when it did not end by delivery of its txn. {@code leaderHint} is
 * the leader this node knows, or null; {@code zxid} is the read point of a sync.
 */
public record Outcome(Kind kind, Zxid zxid, PeerId leaderHint, String detail) {
    public enum Kind {
        /** sync(): this node has delivered everything committed before the call. */
        SYNCED,
        /** No leader in broadcast is known: the txn was not and never will be applied. */
        NOT_LEADER,
        /** Leadership changed while the request was in flight: it may or may not commit. */
        OUTCOME_UNKNOWN,
        /** The payload is larger than the configured maximum: rejected, never applied. */
        TOO_LARGE,
        /** Too many txns are in flight: rejected, never applied; retry later. */
        OVERLOADED,
        /** Leadership transfer: the target leads in broadcast, as this node sees it. */
        TRANSFERRED,
        /**
         * Leadership transfer: refused at once (the target is not a voter connected in
         * broadcast, it is this node, or another transfer runs); membership change: the new
         * members were not caught up in time, or the change is not one a leader may make;
         * nothing changed either way.
         */
        REFUSED,
        /**
         * Leadership transfer: the target was not seen leading within the timeout. Either the
         * old leader still leads (it resumed admitting writes) or an election picks a leader;
         * no data changed either way.
         */
        TIMED_OUT,
        /**
         * Membership change or leadership transfer: another change or transfer is in flight;
         * nothing changed, retry once it is done.
         */
        CHANGE_IN_FLIGHT
    }

    public static Outcome synced(Zxid zxid) {
        return new Outcome(Kind.SYNCED, zxid, null, "synced");
    }

    public static Outcome transferred(PeerId leader) {
        return new Outcome(Kind.TRANSFERRED, null, leader, "transferred");
    }

    public static Outcome failed(Kind kind, PeerId leaderHint, String detail) {
        return new Outcome(kind, null, leaderHint, detail);
    }

    /** A success: a sync's read point, or a transfer done. */
    public boolean ok() {
        return kind == Kind.SYNCED || kind == Kind.TRANSFERRED;
    }
}
