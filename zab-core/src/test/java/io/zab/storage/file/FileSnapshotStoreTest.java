package io.zab.storage.file;

import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.storage.LogCapture;
import io.zab.storage.SnapshotStore.StoredSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot files: keeping N, skipping damaged ones, every crash point of a save, streaming. */
class FileSnapshotStoreTest {
    @TempDir
    Path dir;

    private static byte[] data(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void keepsTheNewestN() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 3);
        for (int i = 1; i <= 5; i++) {
            s.save(z(1, i), data("state " + i));
        }
        assertEquals(List.of("snapshot.0000000100000003", "snapshot.0000000100000004",
                "snapshot.0000000100000005"), files());
        assertEquals(Optional.of(z(1, 3)), s.oldestKept());
    }

    @Test
    void aDamagedSnapshotIsSkippedForTheNextOlderWithAWarn() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 3);
        s.save(z(1, 1), data("one"));
        s.save(z(1, 2), data("two"));
        Path newest = dir.resolve("snapshot.0000000100000002");
        try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
            f.seek(FileSnapshotStore.HEADER_BYTES + 1);
            f.write('X');
        }
        try (LogCapture logs = new LogCapture(FileSnapshotStore.class)) {
            StoredSnapshot got = s.latest().get();
            assertEquals(z(1, 1), got.zxid());
            assertArrayEquals(data("one"), got.data());
            assertEquals(1, logs.warnings().size());
            assertTrue(logs.warnings().get(0).contains(newest.toString())
                    && logs.warnings().get(0).contains("CRC"), logs.warnings().get(0));
        }
    }

    @Test
    void aTruncatedOrEmptySnapshotIsSkipped() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 3);
        s.save(z(1, 1), data("one"));
        s.save(z(1, 2), data("two"));
        s.save(z(1, 3), data("three"));
        Files.write(dir.resolve("snapshot.0000000100000003"), new byte[0]);
        try (RandomAccessFile f = new RandomAccessFile(
                dir.resolve("snapshot.0000000100000002").toFile(), "rw")) {
            f.setLength(f.length() - 1);
        }
        try (LogCapture logs = new LogCapture(FileSnapshotStore.class)) {
            assertEquals(z(1, 1), s.latest().get().zxid());
            assertEquals(2, logs.warnings().size());
        }
    }

    @Test
    void aCrashAnywhereInASaveLeavesTheOldOrTheNewSnapshot() throws IOException {
        Random random = new Random(11);
        boolean completed = false;
        for (int k = 0; !completed; k++) {
            Path d = dir.resolve("k" + k);
            CrashFs fs = new CrashFs(d);
            FileSnapshotStore s = FileSnapshotStore.open(d, 1, fs);
            s.save(z(1, 10), data("old"));
            fs.crashAtOp(fs.ops() + k);
            try {
                s.save(z(2, 20), new byte[5000]);
                completed = true;
            } catch (IOException e) {
                assertTrue(fs.crashed(), e.toString());
            }
            fs.crash(CrashFs.Mode.values()[k % 3], random);
            FileSnapshotStore after = FileSnapshotStore.open(d, 1, fs);
            StoredSnapshot got = after.latest().get();
            if (completed) {
                assertEquals(z(2, 20), got.zxid());
            }
            if (got.zxid().equals(z(1, 10))) {
                assertArrayEquals(data("old"), got.data());
            } else {
                assertArrayEquals(new byte[5000], got.data());
            }
        }
    }

    @Test
    void streamsInAndOut() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        Random r = new Random(5);
        byte[] state = new byte[200_000];
        r.nextBytes(state);
        FileSnapshotStore.SnapshotFile saved = s.save(z(3, 4), 3, out -> {
            for (int i = 0; i < state.length; i += 1000) {
                out.write(state, i, 1000);
            }
            out.write(7);
        });
        assertEquals(state.length + 1, saved.length());
        FileSnapshotStore.SnapshotFile f = s.latestFile().get();
        assertEquals(z(3, 4), f.zxid());
        assertEquals(3, f.epoch());
        try (InputStream in = s.openData(f)) {
            byte[] back = in.readAllBytes();
            assertEquals(state.length + 1, back.length);
            assertArrayEquals(state, java.util.Arrays.copyOf(back, state.length));
            assertEquals(7, back[state.length]);
        }
    }

    @Test
    void aFailingWriterLeavesNoFile() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        s.save(z(1, 1), data("one"));
        try {
            s.save(z(1, 2), 1, out -> {
                out.write(data("half"));
                throw new IOException("state machine failed");
            });
        } catch (IOException expected) {
            assertEquals("state machine failed", expected.getMessage());
        }
        assertEquals(List.of("snapshot.0000000100000001"), files());
        assertEquals(z(1, 1), s.latest().get().zxid());
    }

    @Test
    void leftoverTempFilesAreDeleted() throws IOException {
        Files.write(dir.resolve("snapshot.0000000100000009.tmp"), new byte[10]);
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        assertEquals(List.of(), files());
        assertEquals(Optional.empty(), s.latest());
        assertEquals(Optional.<Zxid>empty(), s.oldestKept());
    }

    /**
     * The snapshot thread streams a large snapshot of the node's own state while the log writer
     * installs one received by SNAP: neither waits for the other's data, and the local one,
     * taken at an older zxid, is dropped instead of replacing the installed one.
     */
    @Test
    void aLocalSnapshotOverlappingAnInstallNeitherBlocksItNorReplacesIt() throws Exception {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 3);
        java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch installed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Object> local =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread snapshotThread = new Thread(() -> {
            try {
                local.set(s.saveIfNewest(z(1, 50), out -> {
                    out.write(new byte[1 << 20]);
                    writing.countDown();
                    try {
                        if (!installed.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                            throw new IOException("the install never finished");
                        }
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    out.write(new byte[1 << 20]);
                }));
            } catch (Exception e) {
                local.set(e);
            }
        });
        snapshotThread.start();
        assertTrue(writing.await(30, java.util.concurrent.TimeUnit.SECONDS));
        s.save(z(2, 9), data("from the leader"));
        installed.countDown();
        snapshotThread.join(30_000);
        assertEquals(Boolean.FALSE, local.get(), "the older local snapshot is dropped");
        FileSnapshotStore after = FileSnapshotStore.open(dir, 3);
        assertEquals(z(2, 9), after.latest().get().zxid());
        assertArrayEquals(data("from the leader"), after.latest().get().data());
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }
}
