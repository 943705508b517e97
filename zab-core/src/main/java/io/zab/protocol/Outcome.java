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
        OVERLOADED
    }

    public static Outcome synced(Zxid zxid) {
        return new Outcome(Kind.SYNCED, zxid, null, "synced");
    }

    public static Outcome failed(Kind kind, PeerId leaderHint, String detail) {
        return new Outcome(kind, null, leaderHint, detail);
    }

    public boolean ok() {
        return kind == Kind.SYNCED;
    }
}
