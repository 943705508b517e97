package io.zab.storage.memory;

import io.zab.StateMachine;
import io.zab.Zxid;
import io.zab.storage.SnapshotStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Keeps the newest snapshot in memory (tests, the simulator, in-memory nodes). A save is
 * durable at once. Thread-safe.
 */
public final class MemorySnapshotStore implements SnapshotStore {
    private Zxid zxid;
    private byte[] data;
    private Zxid receiving;
    private ByteArrayOutputStream received;

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

    @Override
    public synchronized void writeChunk(Zxid at, long offset, byte[] chunk) throws IOException {
        if (offset == 0) {
            receiving = at;
            received = new ByteArrayOutputStream();
        } else if (!at.equals(receiving) || offset > received.size()) {
            throw new IOException("snapshot chunk at " + offset + " of " + at + " does not"
                    + " follow what was received (" + receiving + ", "
                    + (received == null ? 0 : received.size()) + " bytes)");
        } else if (offset < received.size()) {
            byte[] kept = java.util.Arrays.copyOf(received.toByteArray(), (int) offset);
            received = new ByteArrayOutputStream();
            received.write(kept);
        }
        received.write(chunk);
    }

    @Override
    public synchronized void install(Zxid at, long size, int crc) throws IOException {
        byte[] bytes = at.equals(receiving) ? received.toByteArray()
                : size == 0 ? new byte[0] : null;
        receiving = null;
        received = null;
        if (bytes == null || bytes.length != size || crcOf(bytes) != crc) {
            throw new IOException("snapshot received at " + at + " does not match SNAP ("
                    + size + " bytes, CRC32C " + Integer.toHexString(crc) + "); dropped");
        }
        zxid = at;
        data = bytes;
    }

    private static byte[] bytesOf(StateMachine.SnapshotWriter writer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.writeTo(out);
        return out.toByteArray();
    }

    static int crcOf(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }

    @Override
    public synchronized Optional<StoredSnapshot> latest() {
        if (zxid == null) {
            return Optional.empty();
        }
        byte[] d = data;
        return Optional.of(new StoredSnapshot(zxid, d.length, crcOf(d),
                () -> new ByteArrayInputStream(d)));
    }
}
