package io.zab.protocol;

import io.zab.Zxid;
import java.util.Arrays;
import java.util.Objects;

/**
 * The replicated unit: a zxid and the host's opaque bytes. The array is not copied; nobody may
 * change it after the txn is made.
 *
 * <p>Immutable by convention; any thread.
 */
public record Txn(Zxid zxid, byte[] data) {
    public Txn {
        Objects.requireNonNull(zxid, "zxid");
        Objects.requireNonNull(data, "data");
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
        return o instanceof Txn t && t.zxid.equals(zxid) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return zxid.hashCode() * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Txn[" + zxid + ", " + data.length + " bytes]";
    }
}
