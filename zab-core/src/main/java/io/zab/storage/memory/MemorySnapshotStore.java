package io.zab.storage.memory;

import io.zab.StateMachine;
import io.zab.Zxid;
import io.zab.storage.SnapshotStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;

/**
 * Keeps the newest snapshot in memory (tests, the simulator, in-memory nodes). A save is
 * durable at once. Thread-safe.
 */
public final class MemorySnapshotStore implements SnapshotStore {
    private Zxid zxid;
    private byte[] data;

    @Override
    public void save(Zxid at, StateMachine.SnapshotWriter writer) throws IOException {
        byte[] bytes = bytesOf(writer);
        synchronized (this) {
            zxid = at;
            data = bytes;
        }
    }

    @Override
    public boolean saveIfNewest(Zxid at, StateMachine.SnapshotWriter writer)
            throws IOException {
        byte[] bytes = bytesOf(writer);
        synchronized (this) {
            if (zxid != null && !at.isAfter(zxid)) {
                return false;
            }
            zxid = at;
            data = bytes;
            return true;
        }
    }

    private static byte[] bytesOf(StateMachine.SnapshotWriter writer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.writeTo(out);
        return out.toByteArray();
    }

    @Override
    public synchronized Optional<StoredSnapshot> latest() {
        if (zxid == null) {
            return Optional.empty();
        }
        byte[] d = data;
        return Optional.of(new StoredSnapshot(zxid, d.length, () -> new ByteArrayInputStream(d)));
    }
}
