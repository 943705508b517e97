package io.zab.protocol;

import io.zab.Membership;
import io.zab.Zxid;
import java.util.Arrays;
import java.util.Objects;

/**
 * The replicated unit: a zxid and the host's opaque bytes, or a membership change
 * ({@code membership} true: the data is {@link Membership#encode()} of the new membership, whose
 * version is this zxid). The log and the wire carry the flag; only the host's txns reach the
 * state machine. The array is not copied; nobody may change it after the txn is made.
 *
 * <p>Immutable by convention; any thread.
 */
public record Txn(Zxid zxid, byte[] data, boolean membership) {
    public Txn {
        Objects.requireNonNull(zxid, "zxid");
        Objects.requireNonNull(data, "data");
    }

    /** A txn of the host's. */
    public Txn(Zxid zxid, byte[] data) {
        this(zxid, data, false);
    }

    /** The txn that changes the membership to {@code next} at {@code zxid}. */
    public static Txn membershipChange(Zxid zxid, Membership next) {
        return new Txn(zxid, next.withVersion(zxid).encode(), true);
    }

    /** The membership this txn carries; only for a membership txn. */
    public Membership newMembership() {
        if (!membership) {
            throw new IllegalStateException(this + " is not a membership change");
        }
        return Membership.decode(data);
    }

    /** The payload bytes of {@code txns}: what queues and budgets count. */
    public static long payloadBytes(java.util.List<Txn> txns) {
        long n = 0;
        for (int i = 0; i < txns.size(); i++) { // no iterator: called for every append
            n += txns.get(i).data.length;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Txn t && t.zxid.equals(zxid) && t.membership == membership
                && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return zxid.hashCode() * 31 + Arrays.hashCode(data) + (membership ? 1 : 0);
    }

    @Override
    public String toString() {
        return "Txn[" + zxid + ", " + (membership ? "membership, " : "") + data.length
                + " bytes]";
    }
}
