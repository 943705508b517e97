package io.zab.storage.file;

import static io.zab.storage.Txns.concat;
import static io.zab.storage.Txns.membershipTxn;
import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Action.SaveMembership;
import io.zab.protocol.PersistentState;
import io.zab.protocol.Txn;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.Recovery;
import io.zab.storage.StorageApplier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's data directory: layout, one user at a time, recovery of the three stores. */
class FileStorageTest {
    private static final FileStorage.Options OPTIONS = new FileStorage.Options(
            new FileTxnLog.Options(4096, true), 2, 100, 1 << 20);

    @TempDir
    Path dir;

    @Test
    void recoversSnapshotLogEpochsAndMembershipFromTheLayout() throws IOException {
        Txn change = membershipTxn(z(1, 8));
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            s.epochs().save(2, 2);
            s.log().append(range(1, 1, 10));
            s.log().sync();
            StorageApplier applier = new StorageApplier(s.log(), s.epochs(), s.snapshots(),
                    s.membership());
            for (var a : io.zab.storage.Txns.snapshotInstall(1, z(1, 5), new byte[] {1, 2, 3})) {
                applier.apply(a);
            }
            s.log().append(concat(range(1, 6, 7), List.of(change)));
            applier.apply(new SaveMembership(3, change.newMembership()));
        }
        assertTrue(Files.exists(dir.resolve("acceptedEpoch")));
        assertTrue(Files.exists(dir.resolve("membership")));
        assertTrue(Files.exists(dir.resolve("snapshots").resolve("snapshot.0000000100000005")));
        try (Stream<Path> logs = Files.list(dir.resolve("log"))) {
            assertEquals(1, logs.count());
        }
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            Recovery r = s.recover();
            assertEquals(new PersistentState(2, 2, z(1, 5), concat(range(1, 6, 7),
                    List.of(change)), change.newMembership()), r.state());
            assertArrayEquals(new byte[] {1, 2, 3}, r.snapshot().get().data());
        }
    }

    @Test
    void aNodeThatNeverSavedAMembershipRecoversNone() throws IOException {
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            assertNull(s.recover().state().membership());
        }
        assertFalse(Files.exists(dir.resolve("membership")));
    }

    @Test
    void aDamagedMembershipFileStopsOpening() throws IOException {
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            s.membership().save(membershipTxn(z(1, 1)).newMembership());
        }
        Files.write(dir.resolve("membership"), new byte[5]);
        CorruptStorageException e = assertThrows(CorruptStorageException.class,
                () -> FileStorage.open(dir, OPTIONS));
        assertEquals(dir.resolve("membership"), e.file());
        Files.delete(dir.resolve("membership"));
        FileStorage.open(dir, OPTIONS).close(); // the failed open released the lock
    }

    @Test
    void oneNodeAtATime() throws IOException {
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            IOException e = assertThrows(IOException.class, () -> FileStorage.open(dir, OPTIONS));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        FileStorage.open(dir, OPTIONS).close();
    }

    @Test
    void aLostSnapshotThatTheLogWasResetToStopsRecovery() throws IOException {
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            StorageApplier applier = new StorageApplier(s.log(), s.epochs(), s.snapshots(),
                    s.membership());
            for (var a : io.zab.storage.Txns.snapshotInstall(1, z(3, 9), new byte[10])) {
                applier.apply(a);
            }
            s.log().append(range(3, 10, 12));
            s.log().sync();
        }
        Files.delete(dir.resolve("snapshots").resolve("snapshot.0000000300000009"));
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            IOException e = assertThrows(IOException.class, s::recover);
            assertTrue(e.getMessage().contains("txns between are gone")
                    && e.getMessage().contains("wipe its data directory"), e.getMessage());
        }
    }

    @Test
    void aSnapshotInTheMiddleOfAManySegmentLogIsFoundInItsSegment() throws IOException {
        // Segments of 4 KiB: the log spans several, the snapshot's txn in a middle one.
        List<Txn> logged = concat(range(1, 1, 120, 100), range(2, 1, 80, 100));
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            s.log().append(logged);
            s.log().sync();
            s.snapshots().save(z(2, 1), new byte[] {7});
        }
        try (Stream<Path> logs = Files.list(dir.resolve("log"))) {
            assertTrue(logs.count() > 3, "the test needs a log of several segments");
        }
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            assertEquals(range(2, 2, 80, 100), s.recover().state().log());
        }
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            // A snapshot of another history (saving it drops the one above it): the log spans
            // its zxid but does not hold its txn.
            s.snapshots().save(z(1, 121), new byte[] {8});
        }
        try (FileStorage s = FileStorage.open(dir, OPTIONS)) {
            assertEquals(List.of(), s.recover().state().log());
            assertEquals(z(1, 121), s.log().base());
        }
    }

    @Test
    void rejectsBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new FileStorage.Options(
                FileTxnLog.Options.defaults(), 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FileStorage.Options(
                FileTxnLog.Options.defaults(), 1, 0, 1));
    }
}
