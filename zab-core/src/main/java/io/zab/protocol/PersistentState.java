package io.zab.protocol;

import io.zab.Zxid;
import java.util.List;

/**
 * What a node found on its disk at start: both epochs, the zxid of its newest snapshot (the
 * state machine has been restored from it) and the logged txns after that snapshot, in order.
 */
public record PersistentState(long acceptedEpoch, long currentEpoch, Zxid snapshotZxid,
        List<Txn> log) {

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
