package io.zab.storage;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Txn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Txns for storage tests: the payload says which zxid it belongs to, so mix-ups show. */
public final class Txns {
    private Txns() {
    }

    /**
     * The storage actions a learner issues for a snapshot received by SNAP: its data in one
     * chunk (seq), then the install (seq + 1).
     */
    public static List<io.zab.protocol.Action.StorageAction> snapshotInstall(long seq,
            Zxid zxid, byte[] data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        return List.of(new io.zab.protocol.Action.WriteSnapshotChunk(seq, zxid, 0, data),
                new io.zab.protocol.Action.InstallSnapshot(seq + 1, zxid, data.length,
                        (int) crc.getValue()));
    }

    public static Zxid z(long epoch, long counter) {
        return new Zxid(epoch, counter);
    }

    public static Txn txn(long epoch, long counter) {
        return txn(new Zxid(epoch, counter), 8);
    }

    /** A txn of at least {@code size} bytes whose content depends on its zxid. */
    public static Txn txn(Zxid zxid, int size) {
        byte[] tag = ("txn " + zxid + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[Math.max(size, 0)];
        for (int i = 0; i < data.length; i++) {
            data[i] = tag[i % tag.length];
        }
        return new Txn(zxid, data);
    }

    /**
     * A membership-change txn at {@code zxid} whose voters depend on its counter, so that two of
     * them differ.
     */
    public static Txn membershipTxn(Zxid zxid) {
        Map<PeerId, String> voters = new TreeMap<>();
        for (int id = 1; id <= 3; id++) {
            voters.put(PeerId.of(id), "host" + id + ":" + (2000 + zxid.counter()));
        }
        return Txn.membershipChange(zxid, new Membership(Zxid.ZERO, voters,
                Map.of(PeerId.of(9), "observer:9")));
    }

    /** Txns {@code from..to} (counters) of one epoch. */
    public static List<Txn> range(long epoch, long from, long to) {
        List<Txn> out = new ArrayList<>();
        for (long c = from; c <= to; c++) {
            out.add(txn(epoch, c));
        }
        return out;
    }

    public static List<Txn> range(long epoch, long from, long to, int size) {
        List<Txn> out = new ArrayList<>();
        for (long c = from; c <= to; c++) {
            out.add(txn(new Zxid(epoch, c), size));
        }
        return out;
    }

    public static List<Txn> concat(List<Txn> a, List<Txn> b) {
        List<Txn> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
