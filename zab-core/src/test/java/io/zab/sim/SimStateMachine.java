package io.zab.sim;

import io.zab.Membership;
import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * The replicated state of a simulated node: a hash chain over every delivered (zxid, payload)
 * of the host's txns, and the count and last zxid of every delivered txn. Two nodes with the
 * same count and hash delivered the same txns in the same order. A snapshot is the triple
 * (count, last zxid, hash): 24 bytes.
 *
 * <p>A membership txn is not the host's data: {@link #applyMembership} moves the count and the
 * last zxid (the node's delivered position, which the runtime reports too) but leaves the hash,
 * the host-visible state, as it was. A node that handed one to its host would show a different
 * hash at the same position.
 *
 * <p>Usable as a host {@link StateMachine} in other modules' tests too. Not thread-safe: one
 * delivery thread, as the interface promises.
 */
public final class SimStateMachine implements StateMachine {
    /**
     * The state is 24 bytes; the rest is filler derived from it, so a SNAP takes several chunks
     * (256-byte txns in the simulator) and transfers are cut at chunk boundaries by the faults.
     */
    public static final int SNAPSHOT_BYTES = 1_000;

    private long count;
    private Zxid lastZxid = Zxid.ZERO;
    private long hash;
    private Membership membership;

    /** The chain step: the hash after {@code hash} once (zxid, data) is delivered. */
    public static long chain(long hash, Zxid zxid, byte[] data) {
        long x = hash * 0x9E3779B97F4A7C15L + zxid.toLong();
        for (byte b : data) {
            x = (x ^ (b & 0xff)) * 0x100000001B3L;
        }
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        x *= 0xc4ceb9fe1a85ec53L;
        return x ^ (x >>> 33);
    }

    /** Applies one txn; returns the count after it (what submit's future would carry). */
    public long apply(Zxid zxid, byte[] data) {
        hash = chain(hash, zxid, data);
        lastZxid = zxid;
        return ++count;
    }

    /**
     * Passes a delivered membership txn: its position, not the host's state.
     *
     * @return the count after it
     * @throws IllegalArgumentException if {@code data} is not a membership of version
     *     {@code zxid}
     */
    public long applyMembership(Zxid zxid, byte[] data) {
        Membership m = Membership.decode(data);
        if (!m.version().equals(zxid)) {
            throw new IllegalArgumentException("membership txn " + zxid + " carries version "
                    + m.version());
        }
        membership = m;
        lastZxid = zxid;
        return ++count;
    }

    /** The newest membership delivered since the last reset or restore, or null. */
    public Membership membership() {
        return membership;
    }

    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        byte[] data = new byte[txn.remaining()];
        txn.duplicate().get(data);
        return apply(zxid, data);
    }

    public byte[] snapshotBytes() {
        byte[] b = ByteBuffer.allocate(SNAPSHOT_BYTES).putLong(count)
                .putLong(lastZxid.toLong()).putLong(hash).array();
        for (int i = 24; i < b.length; i++) {
            b[i] = (byte) (hash >>> (8 * (i % 8)) ^ i);
        }
        return b;
    }

    /** Replaces the state with a snapshot; a malformed one is refused with what was wrong. */
    public void restoreBytes(byte[] data) {
        if (data.length != SNAPSHOT_BYTES) {
            throw new IllegalArgumentException("sim snapshot of " + data.length
                    + " bytes, expected " + SNAPSHOT_BYTES);
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        long c = b.getLong();
        Zxid z = Zxid.fromLong(b.getLong());
        if (c < 0 || (c == 0) != z.equals(Zxid.ZERO)) {
            throw new IllegalArgumentException("sim snapshot with count " + c + " at " + z);
        }
        long h = b.getLong();
        for (int i = 24; i < data.length; i++) {
            if (data[i] != (byte) (h >>> (8 * (i % 8)) ^ i)) {
                throw new IllegalArgumentException("sim snapshot filler damaged at byte " + i);
            }
        }
        count = c;
        lastZxid = z;
        hash = h;
        membership = null;
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        new DataOutputStream(out).write(snapshotBytes());
    }

    @Override
    public void restore(InputStream in) throws IOException {
        byte[] data = new byte[SNAPSHOT_BYTES];
        new DataInputStream(in).readFully(data);
        restoreBytes(data);
    }

    /** Forgets everything, as a crash does to memory. */
    public void reset() {
        count = 0;
        lastZxid = Zxid.ZERO;
        hash = 0;
        membership = null;
    }

    public long count() {
        return count;
    }

    public Zxid lastZxid() {
        return lastZxid;
    }

    public long hash() {
        return hash;
    }

    @Override
    public String toString() {
        return "sm[" + count + " txns, last " + lastZxid + ", hash "
                + Long.toHexString(hash) + "]";
    }
}
