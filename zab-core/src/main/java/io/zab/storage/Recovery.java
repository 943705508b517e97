package io.zab.storage;

import io.zab.Membership;
import io.zab.Zxid;
import io.zab.protocol.PersistentState;
import io.zab.protocol.Txn;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a node's stores at start: the newest snapshot, the log after it, both epochs and the
 * committed membership. The state machine is restored from {@link #snapshot()} before the core
 * starts with {@link #state()}.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final PersistentState state;
    private final Optional<SnapshotStore.StoredSnapshot> snapshot;

    private Recovery(PersistentState state, Optional<SnapshotStore.StoredSnapshot> snapshot) {
        this.state = state;
        this.snapshot = snapshot;
    }

    public static Recovery load(TxnLog log, EpochStore epochs, SnapshotStore snapshots,
            MembershipStore membership) throws IOException {
        Optional<SnapshotStore.StoredSnapshot> snap = snapshots.latest();
        Zxid snapZxid = snap.map(SnapshotStore.StoredSnapshot::zxid).orElse(Zxid.ZERO);
        if (log.base().isAfter(snapZxid)) {
            // Only a lost or damaged snapshot leads here: the log is reset or purged only up to
            // a snapshot that is kept. Dropping the log would silently forget acked txns.
            throw new IOException("the log starts after " + log.base() + " but the newest valid"
                    + " snapshot is at " + snapZxid + ": the txns between are gone. "
                    + CorruptStorageException.ADVICE);
        }
        List<Txn> txns = log.readAfter(snapZxid);
        if (!reaches(log, snapZxid)) {
            // The log was not reset after the snapshot was installed (a crash in between), or
            // it lost the txns up to the snapshot: what it holds after the snapshot belongs to
            // another history, so it must go. Even an empty log must restart at the snapshot,
            // or the next txn after it would leave a gap (found by CatalogueScenarioTest S05
            // seed 1: a blank learner crashed between saving a SNAP and resetting its log).
            LOG.warn("log (base {}, last {}) does not reach snapshot {}; dropping its {} txns",
                    log.base(), log.lastZxid(), snapZxid, txns.size());
            log.reset(snapZxid);
            log.sync();
            txns = List.of();
        }
        long accepted = epochs.acceptedEpoch();
        long current = epochs.currentEpoch();
        if (current > accepted) {
            throw new IOException("currentEpoch " + current + " is above acceptedEpoch "
                    + accepted + ": the epoch files are damaged");
        }
        Membership committed = membership.committed().orElse(null);
        return new Recovery(new PersistentState(accepted, current, snapZxid, txns, committed),
                snap);
    }

    /**
     * Whether the log holds the snapshot's own txn (or starts right at it). Reads just the first
     * txn at or above the snapshot, from the segment that holds it: the log reaches back to the
     * oldest snapshot kept, so reading it from its base would hold several snapshot intervals
     * of txns in memory at once, and a node with a large log could not start.
     */
    private static boolean reaches(TxnLog log, Zxid snapZxid) throws IOException {
        if (log.base().equals(snapZxid)) {
            return true;
        }
        if (log.base().isAfter(snapZxid)) {
            return false;
        }
        // Here snapZxid is above the base, so above zero: one below it is a valid bound.
        List<Txn> first = log.readAfter(Zxid.fromLong(snapZxid.toLong() - 1), 1);
        return !first.isEmpty() && first.get(0).zxid().equals(snapZxid);
    }

    public PersistentState state() {
        return state;
    }

    public Optional<SnapshotStore.StoredSnapshot> snapshot() {
        return snapshot;
    }
}
