package io.zab.storage;

import io.zab.Zxid;
import java.io.IOException;
import java.util.Optional;

/** Snapshots of the state machine. {@link #save} is atomic and durable when it returns. */
public interface SnapshotStore {
    void save(Zxid zxid, byte[] data) throws IOException;

    /** The newest valid snapshot, if any. */
    Optional<StoredSnapshot> latest() throws IOException;

    /**
     * The zxid of the oldest snapshot kept: the log may drop everything up to it. Stores that
     * keep only the newest one return its zxid.
     */
    default Optional<Zxid> oldestKept() throws IOException {
        return latest().map(StoredSnapshot::zxid);
    }

    record StoredSnapshot(Zxid zxid, byte[] data) {
    }
}
