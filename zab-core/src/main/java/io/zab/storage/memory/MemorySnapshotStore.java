package io.zab.storage.memory;

import io.zab.Zxid;
import io.zab.storage.SnapshotStore;
import java.util.Optional;

/** Keeps the newest snapshot in memory. {@link #save} is durable at once. */
public final class MemorySnapshotStore implements SnapshotStore {
    private StoredSnapshot latest;

    @Override
    public void save(Zxid zxid, byte[] data) {
        latest = new StoredSnapshot(zxid, data.clone());
    }

    @Override
    public Optional<StoredSnapshot> latest() {
        return Optional.ofNullable(latest);
    }
}
