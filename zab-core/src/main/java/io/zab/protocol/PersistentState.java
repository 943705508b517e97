package io.zab.protocol;

import io.zab.Zxid;
import java.util.List;

/**
 * What a node found on its disk at start: both epochs, the zxid of its newest snapshot (the
 * state machine has been restored from it), the logged txns after that snapshot, in order, and
 * the committed membership it saved last ({@code membership}; null when it never saved one: the
 * core starts from the static one in {@link CoreConfig}). Membership txns in the log after it
 * are newer ones this node has seen.
 */
public record PersistentState(long acceptedEpoch, long currentEpoch, Zxid snapshotZxid,
        List<Txn> log, io.zab.Membership membership) {

    public PersistentState(long acceptedEpoch, long currentEpoch, Zxid snapshotZxid,
            List<Txn> log) {
        this(acceptedEpoch, currentEpoch, snapshotZxid, log, null);
    }

    public PersistentState {
        log = List.copyOf(log);
        if (currentEpoch > acceptedEpoch) {
            throw new IllegalArgumentException("currentEpoch " + currentEpoch
                    + " is above acceptedEpoch " + acceptedEpoch);
        }
        Zxid prev = snapshotZxid;
        for (Txn t : log) {
            if (!prev.isFollowedBy(t.zxid())) {
                throw new IllegalArgumentException("log is not continuous: " + t.zxid()
                        + " after " + prev);
            }
            prev = t.zxid();
        }
    }

    public static PersistentState empty() {
        return new PersistentState(0, 0, Zxid.ZERO, List.of());
    }

    public Zxid lastZxid() {
        return log.isEmpty() ? snapshotZxid : log.get(log.size() - 1).zxid();
    }
}
