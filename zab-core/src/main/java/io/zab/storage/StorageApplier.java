package io.zab.storage;

import io.zab.protocol.Action;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.InstallSnapshot;
import io.zab.protocol.Action.SaveEpoch;
import io.zab.protocol.Action.SaveMembership;
import io.zab.protocol.Action.TruncateLog;
import java.io.IOException;

/**
 * Carries out the core's storage actions on the four stores, keeping them prefix durable: the
 * log is forced before an epoch, a membership or a snapshot is written, so no epoch file ever
 * gets ahead of the txns it vouches for (ZOOKEEPER-4643: currentEpoch written before the DIFF
 * txns), and no membership file names a committed membership whose txn a crash could take from
 * the log. Used by one thread: the log writer, or the simulator.
 */
public final class StorageApplier {
    private final TxnLog log;
    private final EpochStore epochs;
    private final SnapshotStore snapshots;
    private final MembershipStore membership;

    public StorageApplier(TxnLog log, EpochStore epochs, SnapshotStore snapshots,
            MembershipStore membership) {
        this.log = log;
        this.epochs = epochs;
        this.snapshots = snapshots;
        this.membership = membership;
    }

    public void apply(Action.StorageAction action) throws IOException {
        if (action instanceof AppendTxns a) {
            log.append(a.txns());
        } else if (action instanceof TruncateLog t) {
            log.truncateAfter(t.lastKept());
        } else if (action instanceof SaveEpoch s) {
            log.sync();
            epochs.save(s.acceptedEpoch(), s.currentEpoch());
        } else if (action instanceof SaveMembership m) {
            log.sync();
            membership.save(m.committed());
        } else if (action instanceof InstallSnapshot i) {
            log.sync();
            // Snapshot first: a crash before the reset leaves the old log beside the new
            // snapshot, which Recovery recognises (the log does not reach the snapshot) and drops.
            snapshots.install(i.zxid(), i.size(), i.crc());
            log.reset(i.zxid());
        } else if (action instanceof Action.WriteSnapshotChunk w) {
            snapshots.writeChunk(w.zxid(), w.offset(), w.data());
        } else {
            throw new IllegalArgumentException("not a storage action: " + action);
        }
    }

    /** Makes every applied action durable. */
    public void sync() throws IOException {
        log.sync();
    }
}
