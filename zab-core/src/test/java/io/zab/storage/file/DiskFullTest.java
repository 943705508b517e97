package io.zab.storage.file;

import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.testing.SmallTmpfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real full disk: a 1 MiB tmpfs mounted for the test (needs root; skipped otherwise). Writes
 * must fail with a clear error, recovery afterwards must be clean and keep every synced txn, and
 * the stores must work again once space is freed.
 */
class DiskFullTest {
    private SmallTmpfs disk;
    private Path mount;

    @BeforeEach
    void mountTmpfs() throws Exception {
        disk = SmallTmpfs.mount("diskfull");
        mount = disk.path();
    }

    @AfterEach
    void unmount() throws Exception {
        if (disk != null) {
            disk.close();
        }
    }

    /** With preallocation a segment creation hits the full disk; without, a record write. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aFullDiskFailsWritesClearlyLosesNothingAndRecoversWhenSpaceIsFreed(boolean prealloc)
            throws Exception {
        Path data = mount.resolve("node");
        Path filler = mount.resolve("filler");
        Files.write(filler, new byte[384 * 1024]);
        FileStorage.Options options = new FileStorage.Options(
                new FileTxnLog.Options(64 * 1024, prealloc), 2, 1000, 1 << 20);
        long synced = 0;
        IOException full = null;
        try (FileStorage s = FileStorage.open(data, options)) {
            s.epochs().save(1, 1);
            s.snapshots().save(Zxid.ZERO, new byte[1000]);
            for (long c = 1; c <= 2000 && full == null; c += 10) {
                try {
                    s.log().append(range(1, c, c + 9, 1000));
                    s.log().sync();
                    synced = c + 9;
                } catch (IOException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "the 1 MiB disk never filled");
            assertTrue(full.getMessage().contains("No space left on device"), full.getMessage());
            assertTrue(full.getMessage().contains(data.resolve("log").toString()),
                    full.getMessage());
            IOException again = assertThrows(IOException.class, () -> s.log().sync());
            assertTrue(again.getMessage().contains("failed earlier"), again.getMessage());
            IOException snap = assertThrows(IOException.class,
                    () -> s.snapshots().save(z(1, 5), new byte[600 * 1024]));
            assertTrue(snap.getMessage().contains("No space left on device"), snap.getMessage());
        }
        assertNoTempFiles(data);
        // Restart while the disk is still full: recovery must cope and lose nothing synced.
        try (FileStorage s = FileStorage.open(data, options)) {
            List<Txn> got = s.log().readAfter(Zxid.ZERO);
            assertTrue(got.size() >= synced, "synced " + synced + ", recovered " + got.size());
            assertEquals(range(1, 1, got.size(), 1000), got);
            assertEquals(1, s.epochs().currentEpoch());
            assertEquals(Zxid.ZERO, s.snapshots().latest().get().zxid());
        }
        Files.delete(filler);
        try (FileStorage s = FileStorage.open(data, options)) {
            long last = s.log().lastZxid().counter();
            s.log().append(range(1, last + 1, last + 100, 1000));
            s.log().sync();
            s.epochs().save(2, 2);
            s.snapshots().save(z(1, last), new byte[100 * 1024]);
            s.log().purge(z(1, last));
        }
        try (FileStorage s = FileStorage.open(data, options)) {
            assertEquals(2, s.epochs().currentEpoch());
            assertFalse(s.recover().state().log().isEmpty());
        }
    }

    private static void assertNoTempFiles(Path data) throws IOException {
        try (Stream<Path> files = Files.walk(data)) {
            List<Path> tmp = files.filter(p -> p.toString().endsWith(".tmp")).toList();
            // A failed segment or snapshot creation deletes its temp file; an epoch temp file
            // may stay (it is dropped at start because it is not newer and complete).
            assertTrue(tmp.stream().allMatch(p -> p.getFileName().toString().contains("Epoch")),
                    tmp.toString());
        }
    }
}
