package io.zab.storage;

import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What every {@link SnapshotStore} must do, bound to each implementation by a subclass. */
public abstract class SnapshotStoreContract {
    protected abstract SnapshotStore create() throws IOException;

    /** The store as a restarted node finds it. */
    protected abstract SnapshotStore restart(SnapshotStore store) throws IOException;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void startsEmpty() throws IOException {
        assertTrue(create().latest().isEmpty());
    }

    @Test
    void theLatestIsTheOneSavedLast() throws IOException {
        SnapshotStore s = create();
        s.save(z(1, 5), bytes("five"));
        s.save(z(2, 9), bytes("nine"));
        assertEquals(z(2, 9), s.latest().get().zxid());
        assertArrayEquals(bytes("nine"), s.latest().get().data());
        s.save(z(2, 3), bytes("three, from a leader's SNAP"));
        s = restart(s);
        assertEquals(z(2, 3), s.latest().get().zxid());
        assertArrayEquals(bytes("three, from a leader's SNAP"), s.latest().get().data());
    }

    @Test
    void keepsItsOwnCopy() throws IOException {
        SnapshotStore s = create();
        byte[] data = bytes("state");
        s.save(z(1, 1), data);
        data[0] = 'X';
        assertArrayEquals(bytes("state"), restart(s).latest().get().data());
    }

    @Test
    void savesEmptyAndLargeSnapshots() throws IOException {
        SnapshotStore s = create();
        s.save(z(1, 1), new byte[0]);
        assertEquals(0, restart(s).latest().get().data().length);
        byte[] big = new byte[3 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 12));
        }
        s.save(z(1, 2), big);
        assertArrayEquals(big, restart(s).latest().get().data());
    }

    @Test
    void aNodesOwnSnapshotNeverReplacesANewerOneAndIsStreamedWithItsSize() throws IOException {
        SnapshotStore s = create();
        assertTrue(s.saveIfNewest(z(1, 4), out -> out.write(bytes("four"))));
        s.save(z(2, 7), bytes("seven, from a leader's SNAP"));
        assertFalse(s.saveIfNewest(z(1, 6), out -> out.write(bytes("six, taken before"))),
                "a snapshot older than the one kept is dropped");
        assertFalse(s.saveIfNewest(z(2, 7), out -> out.write(bytes("seven again"))));
        s = restart(s);
        SnapshotStore.StoredSnapshot latest = s.latest().get();
        assertEquals(z(2, 7), latest.zxid());
        assertEquals(bytes("seven, from a leader's SNAP").length, latest.size());
        try (java.io.InputStream in = latest.open()) {
            assertArrayEquals(bytes("seven, from a leader's SNAP"), in.readAllBytes());
        }
        assertTrue(s.saveIfNewest(z(2, 8), out -> out.write(bytes("eight"))));
        assertEquals(z(2, 8), restart(s).latest().get().zxid());
    }

    private static int crcOf(byte[] data) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(data);
        return (int) c.getValue();
    }

    /**
     * A snapshot received in chunks: a resumed transfer continues at an offset at most what was
     * written, anything written beyond it is cut, and the digest checked at install covers the
     * whole file; a chunk past what is held, or a digest that does not match, is refused.
     */
    @Test
    void chunksResumeAtOrBeforeWhatIsHeldAndInstallChecksTheWhole() throws IOException {
        SnapshotStore s = create();
        byte[] data = bytes("0123456789abcdef");
        s.writeChunk(z(3, 5), 0, java.util.Arrays.copyOfRange(data, 0, 6));
        s.writeChunk(z(3, 5), 6, java.util.Arrays.copyOfRange(data, 6, 10));
        assertThrows(IOException.class, () -> s.writeChunk(z(3, 5), 12, bytes("cd")),
                "a gap is refused");
        // The link broke; only 4 bytes were acknowledged: the transfer resumes there.
        s.writeChunk(z(3, 5), 4, java.util.Arrays.copyOfRange(data, 4, 16));
        s.install(z(3, 5), data.length, crcOf(data));
        assertEquals(z(3, 5), s.latest().get().zxid());
        assertArrayEquals(data, s.latest().get().data());

        s.writeChunk(z(3, 9), 0, bytes("wrong"));
        assertThrows(IOException.class, () -> s.install(z(3, 9), 5, crcOf(bytes("right"))));
        assertEquals(z(3, 5), restart(s).latest().get().zxid(), "a bad one never replaces");
    }
}
