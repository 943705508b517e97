package io.zab.protocol;

import io.zab.Membership;
import io.zab.Zxid;
import java.util.ArrayDeque;
import java.util.List;

/**
 * This node's storage as the core drives it: the epochs, the storage actions it asks for
 * (numbered by a storage sequence number), which of them are durable (Event.Persisted), and so
 * how far the history is synced; and the snapshot SNAP is writing here, received in part.
 * Single-threaded: the core's, on the protocol thread.
 */
final class LocalStorage {
    private final ZabCore core;
    private final History history;
    private final LogExtent logExtent;
    private final Memberships memberships;
    private final Delivery delivery;
    private long acceptedEpoch;
    private long currentEpoch;
    private Zxid lastSyncedZxid;
    private long issuedSeq;
    private long persistedSeq;
    /** (seq, history end after that storage action), to learn what a Persisted covers. */
    private final ArrayDeque<long[]> pendingEnds = new ArrayDeque<>();
    private ZabCore.SnapReceipt partialSnap;

    LocalStorage(ZabCore core, PersistentState state, History history, LogExtent logExtent,
            Delivery delivery) {
        this.core = core;
        this.history = history;
        this.logExtent = logExtent;
        this.memberships = core.memberships();
        this.delivery = delivery;
        this.acceptedEpoch = state.acceptedEpoch();
        this.currentEpoch = state.currentEpoch();
        this.lastSyncedZxid = history.last();
    }

    long acceptedEpoch() {
        return acceptedEpoch;
    }

    long currentEpoch() {
        return currentEpoch;
    }

    Zxid lastSynced() {
        return lastSyncedZxid;
    }

    long issuedSeq() {
        return issuedSeq;
    }

    boolean isPersisted(long seq) {
        return persistedSeq >= seq;
    }

    /** Appends txns to the history and asks for them to be logged; returns the storage seq. */
    long append(List<Txn> txns) {
        for (Txn t : txns) {
            history.append(t);
            logExtent.append(t.zxid());
            memberships.onAppend(t);
        }
        long seq = ++issuedSeq;
        core.emit(new Action.AppendTxns(seq, txns));
        pendingEnds.addLast(new long[] {seq, history.last().toLong()});
        return seq;
    }

    long truncateLog(Zxid lastKept) {
        if (lastKept.isBefore(delivery.lastDelivered())) {
            throw new IllegalStateException("TRUNC to " + lastKept + " would undo delivered "
                    + delivery.lastDelivered());
        }
        history.truncateAfter(lastKept);
        logExtent.truncateAfter(lastKept);
        memberships.onTruncate(lastKept);
        lastSyncedZxid = Zxid.min(lastSyncedZxid, lastKept);
        delivery.truncated(lastKept);
        long seq = ++issuedSeq;
        core.emit(new Action.TruncateLog(seq, lastKept));
        pendingEnds.addLast(new long[] {seq, lastKept.toLong()});
        return seq;
    }

    /** The snapshot received in part, or null. */
    ZabCore.SnapReceipt partialSnap() {
        return partialSnap;
    }

    /** So much of the snapshot SNAP announced is durable here. */
    void snapDurable(Zxid zxid, long size, int crc, long durable) {
        partialSnap = new ZabCore.SnapReceipt(zxid, size, crc, durable);
    }

    /**
     * Appends part of a snapshot being received; returns the storage seq. Offset 0 starts a new
     * one; any other offset continues the partial one after its first {@code offset} bytes.
     */
    long writeSnapshotChunk(Zxid zxid, long offset, byte[] data) {
        if (offset == 0) {
            partialSnap = null;
        }
        long seq = ++issuedSeq;
        core.emit(new Action.WriteSnapshotChunk(seq, zxid, offset, data));
        pendingEnds.addLast(new long[] {seq, history.last().toLong()});
        return seq;
    }

    /**
     * Installs the snapshot whose chunks were written ({@code size} bytes, CRC32C {@code crc}):
     * the history restarts after it, and the state machine gets it at the next delivery.
     */
    long installSnapshot(Zxid zxid, long size, int crc) {
        partialSnap = null;
        history.reset(zxid);
        logExtent.reset(zxid);
        memberships.onReset(zxid);
        lastSyncedZxid = Zxid.min(lastSyncedZxid, zxid);
        long seq = ++issuedSeq;
        delivery.restoreAfter(zxid, seq);
        core.emit(new Action.InstallSnapshot(seq, zxid, size, crc));
        pendingEnds.addLast(new long[] {seq, zxid.toLong()});
        return seq;
    }

    long saveEpoch(long accepted, long current) {
        this.acceptedEpoch = accepted;
        this.currentEpoch = current;
        long seq = ++issuedSeq;
        core.emit(new Action.SaveEpoch(seq, accepted, current));
        return seq;
    }

    /** Asks for a committed membership to be saved; returns the storage seq. */
    long saveMembership(Membership m) {
        long seq = ++issuedSeq;
        core.emit(new Action.SaveMembership(seq, m));
        return seq;
    }

    /**
     * The storage actions up to {@code seq} are durable; returns false if that is no news.
     * The history they wrote counts as synced only at {@link #syncedUpTo}.
     */
    boolean persisted(long seq) {
        if (seq <= persistedSeq) {
            return false;
        }
        if (seq > issuedSeq) {
            throw new IllegalStateException("persisted seq " + seq + " was never issued (last "
                    + issuedSeq + ")");
        }
        persistedSeq = seq;
        return true;
    }

    /** The history the storage actions up to {@code seq} wrote is synced. */
    void syncedUpTo(long seq) {
        while (!pendingEnds.isEmpty() && pendingEnds.peekFirst()[0] <= seq) {
            long end = pendingEnds.pollFirst()[1];
            lastSyncedZxid = Zxid.fromLong(end);
        }
    }
}
