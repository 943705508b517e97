package io.zab.storage;

import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Snapshots of the state machine, streamed in and out: nothing here holds a whole snapshot in
 * memory. A save is atomic and durable when it returns.
 *
 * <p>Threads: a node's snapshot thread ({@link #saveIfNewest}, its own periodic snapshots) and
 * its log writer ({@link #save}, a snapshot received by SNAP) may call at the same time; an
 * implementation keeps them apart without making one wait for the other's data to be written.
 */
public interface SnapshotStore {
    /**
     * Saves a snapshot received from a leader: it becomes the newest, and any kept snapshot with
     * a higher zxid (of a history the leader overrode) is dropped.
     */
    void save(Zxid zxid, StateMachine.SnapshotWriter writer) throws IOException;

    /** {@link #save} of bytes already in memory (a SNAP message, tests). */
    default void save(Zxid zxid, byte[] data) throws IOException {
        save(zxid, out -> out.write(data));
    }

    /**
     * Saves a snapshot this node took of its own state, unless a snapshot at this zxid or a
     * newer one is kept by then (one installed by SNAP meanwhile): then it is discarded and
     * this returns false. The check and the commit are one step.
     */
    default boolean saveIfNewest(Zxid zxid, StateMachine.SnapshotWriter writer)
            throws IOException {
        Optional<StoredSnapshot> newest = latest();
        if (newest.isPresent() && !zxid.isAfter(newest.get().zxid())) {
            return false;
        }
        save(zxid, writer);
        return true;
    }

    /**
     * Writes part of a snapshot being received from a leader (durable when this returns).
     * Offset 0 starts a new one (dropping any partial one); any other offset continues the
     * partial one of the same zxid at that offset, which is at most what it holds (a resumed
     * transfer restarts after what the node acknowledged; anything beyond is cut first).
     */
    void writeChunk(Zxid zxid, long offset, byte[] data) throws IOException;

    /**
     * Makes the snapshot received in chunks the newest, as {@link #save} does, once its size
     * and CRC32C match what SNAP announced; otherwise drops it and throws.
     */
    void install(Zxid zxid, long size, int crc) throws IOException;

    /** The newest valid snapshot, if any. */
    Optional<StoredSnapshot> latest() throws IOException;

    /** The kept snapshot at {@code zxid}, if it is still kept. */
    default Optional<StoredSnapshot> find(Zxid zxid) throws IOException {
        return latest().filter(s -> s.zxid().equals(zxid));
    }

    /**
     * The zxid of the oldest snapshot kept: the log may drop everything up to it. Stores that
     * keep only the newest one return its zxid.
     */
    default Optional<Zxid> oldestKept() throws IOException {
        return latest().map(StoredSnapshot::zxid);
    }

    /** Opens a kept snapshot's data. */
    @FunctionalInterface
    interface Source {
        InputStream open() throws IOException;
    }

    /** A kept snapshot: its zxid, the size and CRC32C of its data, and where to read it. */
    record StoredSnapshot(Zxid zxid, long size, int crc, Source source) {
        /** A stream over the data; the caller closes it. */
        public InputStream open() throws IOException {
            return source.open();
        }

        /** The whole data in memory: for tests and small states only. */
        public byte[] data() throws IOException {
            try (InputStream in = open()) {
                return in.readAllBytes();
            }
        }
    }
}
