package io.zab.sim;

import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.InstallSnapshot;
import io.zab.protocol.Action.SaveEpoch;
import io.zab.protocol.Action.SaveMembership;
import io.zab.protocol.Action.TruncateLog;
import io.zab.protocol.Txn;
import io.zab.storage.StorageApplier;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One node's disk: the in-memory stores with crash semantics, driven through the production
 * {@link StorageApplier}. It also keeps a shadow of what is durable in the txn log (zxids only),
 * updated as each write is applied and synced, so the checkers can ask "is z on disk?" in
 * O(log n) instead of copying the log ({@link MemoryTxnLog#durableTxns()}) on every ACK.
 *
 * <p>One thread (the simulation's). The disk survives crashes of its node; only what was not
 * synced is lost, as {@link MemoryTxnLog#crash(RandomGenerator)} decides.
 */
public final class SimDisk {
    private MemoryTxnLog log = new MemoryTxnLog();
    private MemoryEpochStore epochs = new MemoryEpochStore();
    private MemorySnapshotStore snapshots = new MemorySnapshotStore();
    private MemoryMembershipStore membership = new MemoryMembershipStore();
    private StorageApplier applier = new StorageApplier(log, epochs, snapshots, membership);

    /** Log operations applied since the log was last synced: AppendTxns, TruncateLog, Zxid. */
    private final List<Object> unsynced = new ArrayList<>();
    private Zxid durableBase = Zxid.ZERO;
    private long[] durable = new long[64];
    private int durableSize;
    private long maxAccepted;
    private long maxCurrent;
    /** The version of the newest membership saved, or null before the first. */
    private Zxid savedMembership;
    /** What wipes destroyed: the durable zxids and the highest snapshot base lost. */
    private final java.util.Set<Long> lostToWipes = new java.util.HashSet<>();
    private Zxid lostBase = Zxid.ZERO;

    public MemoryTxnLog log() {
        return log;
    }

    public MemoryEpochStore epochs() {
        return epochs;
    }

    public MemorySnapshotStore snapshots() {
        return snapshots;
    }

    /** Like the epochs: a saved membership is durable at once and survives every crash. */
    public MemoryMembershipStore membership() {
        return membership;
    }

    /**
     * Applies one storage action as the log writer would, keeping the shadow in step with the
     * applier (which forces the log before an epoch, a membership or a snapshot is written).
     */
    void apply(Action.StorageAction action) throws IOException {
        applier.apply(action);
        if (action instanceof AppendTxns || action instanceof TruncateLog) {
            unsynced.add(action);
        } else if (action instanceof SaveEpoch s) {
            flushUnsynced();
            checkEpochs(s);
        } else if (action instanceof SaveMembership m) {
            flushUnsynced();
            checkMembership(m);
        } else if (action instanceof InstallSnapshot i) {
            flushUnsynced();
            unsynced.add(i.zxid());
        }
    }

    private void checkEpochs(SaveEpoch s) {
        long accepted = epochs.acceptedEpoch();
        long current = epochs.currentEpoch();
        if (accepted < maxAccepted || current < maxCurrent) {
            throw new AssertionError("PersistedEpochs: epochs on disk went back from accepted "
                    + maxAccepted + "/current " + maxCurrent + " to " + accepted + "/" + current
                    + " (" + s + ")");
        }
        maxAccepted = accepted;
        maxCurrent = current;
    }

    /** A committed membership is never undone, so the one on disk only moves forward. */
    private void checkMembership(SaveMembership m) {
        Zxid version = m.committed().version();
        if (savedMembership != null && version.isBefore(savedMembership)) {
            throw new AssertionError("PersistedMembership: the membership on disk went back"
                    + " from version " + savedMembership + " to " + version + " (" + m + ")");
        }
        savedMembership = version;
    }

    /** fsync: everything applied so far is durable. */
    void sync() throws IOException {
        applier.sync();
        flushUnsynced();
    }

    /** Reads the log as the runtime's log writer does for a learner ({@code ReadLog}). */
    List<Txn> read(Zxid after, long maxBytes) {
        return log.readAfter(after, maxBytes);
    }

    /**
     * Purges the log up to {@code upTo} ({@code PurgeLog}): the durable txns at or below it go,
     * from the log and from the shadow alike (no part of the crash semantics).
     */
    void purge(Zxid upTo) {
        log.purge(upTo);
        int n = 0;
        while (n < durableSize && Long.compareUnsigned(durable[n], upTo.toLong()) <= 0) {
            n++;
        }
        if (n > 0) {
            durableBase = Zxid.fromLong(durable[n - 1]);
            System.arraycopy(durable, n, durable, 0, durableSize - n);
            durableSize -= n;
        }
    }

    /** Power loss: a random prefix of the unsynced log writes survives, the last maybe torn. */
    void crash(RandomGenerator random) {
        log.crash(random);
        unsynced.clear();
        rebuildShadow();
    }

    /**
     * The disk is replaced by a blank one (a lost data directory, a new disk, an operator who
     * wiped a corrupt node): no log, no snapshot, epochs 0, no membership. Only while the node
     * is down.
     */
    void wipe() {
        for (int i = 0; i < durableSize; i++) {
            lostToWipes.add(durable[i]);
        }
        if (durableBase.isAfter(lostBase)) {
            lostBase = durableBase;
        }
        log = new MemoryTxnLog();
        epochs = new MemoryEpochStore();
        snapshots = new MemorySnapshotStore();
        membership = new MemoryMembershipStore();
        applier = new StorageApplier(log, epochs, snapshots, membership);
        maxAccepted = 0;
        maxCurrent = 0;
        savedMembership = null;
        rebuildShadow();
    }

    /** Re-reads the shadow from the log (after a crash or a recovery that rewrote the log). */
    void rebuildShadow() {
        unsynced.clear();
        durableBase = log.durableBase();
        durableSize = 0;
        for (Txn t : log.durableTxns()) {
            push(t.zxid().toLong());
        }
    }

    private void flushUnsynced() {
        for (Object op : unsynced) {
            if (op instanceof AppendTxns a) {
                for (Txn t : a.txns()) {
                    push(t.zxid().toLong());
                }
            } else if (op instanceof TruncateLog t) {
                int i = search(t.lastKept().toLong());
                durableSize = i >= 0 ? i + 1 : -(i + 1);
            } else {
                durableBase = (Zxid) op;
                durableSize = 0;
            }
        }
        unsynced.clear();
    }

    private void push(long zxid) {
        if (durableSize == durable.length) {
            durable = Arrays.copyOf(durable, durable.length * 2);
        }
        durable[durableSize++] = zxid;
    }

    private int search(long zxid) {
        int lo = 0;
        int hi = durableSize - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(durable[mid], zxid);
            if (c == 0) {
                return mid;
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -(lo + 1);
    }

    /** True when the durable log holds {@code zxid} (or starts right after it). */
    public boolean durablyHolds(Zxid zxid) {
        return zxid.equals(durableBase) || search(zxid.toLong()) >= 0
                || snapshotAt(zxid);
    }

    /**
     * A snapshot is saved durably at once; a node restarted from one before its log's reset to
     * that snapshot was forced holds the snapshot's zxid all the same.
     */
    private boolean snapshotAt(Zxid zxid) {
        return snapshots.latest().map(s -> s.zxid().equals(zxid)).orElse(false);
    }

    /** True when {@code zxid} is in the durable log or at or below its snapshot base. */
    public boolean durablyCovers(Zxid zxid) {
        return !zxid.isAfter(durableBase) || search(zxid.toLong()) >= 0;
    }

    /**
     * True when this disk durably held {@code zxid} before a wipe destroyed it. An ACK sent
     * for it was honest; what the loss means for safety is S26's business (the blank node
     * abstains), so the commit checker still counts that copy.
     */
    public boolean heldBeforeWipe(Zxid zxid) {
        return !zxid.isAfter(lostBase) && !lostBase.equals(Zxid.ZERO)
                || lostToWipes.contains(zxid.toLong());
    }

    public Zxid durableBase() {
        return durableBase;
    }

    public Zxid durableLastZxid() {
        return durableSize == 0 ? durableBase : Zxid.fromLong(durable[durableSize - 1]);
    }

    /** Self-check of the shadow against the log itself (O(n); call rarely). */
    void verifyShadow(int node) {
        List<Txn> txns = log.durableTxns();
        boolean same = log.durableBase().equals(durableBase) && txns.size() == durableSize;
        for (int i = 0; same && i < durableSize; i++) {
            same = txns.get(i).zxid().toLong() == durable[i];
        }
        if (!same) {
            throw new AssertionError("SimDisk: the durable shadow of node " + node
                    + " differs from its log (base " + log.durableBase() + ", " + txns.size()
                    + " txns; shadow base " + durableBase + ", " + durableSize + ")");
        }
    }
}
