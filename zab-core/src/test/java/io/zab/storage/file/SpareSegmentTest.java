package io.zab.storage.file;

import static io.zab.storage.Txns.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.LogCapture;
import io.zab.testing.SmallTmpfs;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The next segment made ahead ({@link SpareSegment}). Most tests hand the log an executor that
 * only queues, and run the preparation on the test thread when they choose: whether a roll finds
 * a spare is then decided by the test, not by timing.
 */
class SpareSegmentTest {
    /** 1 KiB segments of 8 records of 100 bytes; spares on. */
    private static final FileTxnLog.Options SPARES = new FileTxnLog.Options(1024, true, true,
            true);
    private static final FileTxnLog.Options PLAIN = new FileTxnLog.Options(1024, true);
    private static final int PAYLOAD = 100;

    @TempDir
    Path dir;

    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();

    private FileTxnLog open(FileIo io) throws IOException {
        return FileTxnLog.open(dir, SPARES, io, queued::add);
    }

    private void runQueued() {
        while (!queued.isEmpty()) {
            queued.poll().run();
        }
    }

    private static void appendSynced(FileTxnLog log, long from, long to) throws IOException {
        log.append(range(1, from, to, PAYLOAD));
        log.sync();
    }

    private List<String> tmpFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))
                    .sorted().toList();
        }
    }

    private List<Txn> reopenAndRead() throws IOException {
        try (FileTxnLog log = FileTxnLog.open(dir, PLAIN)) {
            return log.readAfter(Zxid.ZERO);
        }
    }

    /** Records what the log opens, to tell a segment made inline from one made ahead. */
    private static final class Spy implements FileIo {
        final List<String> opened = new ArrayList<>();

        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            opened.add(file.getFileName().toString());
            return FileIo.REAL.open(file, options);
        }

        @Override
        public void move(Path source, Path target) throws IOException {
            FileIo.REAL.move(source, target);
        }

        @Override
        public void delete(Path file) throws IOException {
            FileIo.REAL.delete(file);
        }

        @Override
        public void forceDirectory(Path d) throws IOException {
            FileIo.REAL.forceDirectory(d);
        }
    }

    @Test
    void aRollRenamesTheReadySpareAndAsksForTheNext() throws IOException {
        Spy spy = new Spy();
        try (FileTxnLog log = open(spy)) {
            assertEquals(1, queued.size(), "a spare is asked for at open");
            runQueued();
            assertEquals(1, log.sparesPrepared());
            assertEquals(1, tmpFiles().size(), tmpFiles().toString());
            spy.opened.clear();
            appendSynced(log, 1, 10);
            assertEquals(2, log.segmentCount());
            assertEquals(1, log.sparesUsed());
            assertEquals(List.of(), spy.opened, "the roll opened no file: it used the spare");
            assertEquals(List.of(), tmpFiles());
            assertEquals(1, queued.size(), "the roll asked for the next spare");
            runQueued();
            appendSynced(log, 11, 20);
            assertEquals(3, log.segmentCount());
            assertEquals(2, log.sparesUsed());
            assertTrue(spy.opened.stream().allMatch(n -> n.startsWith("log.spare-")),
                    spy.opened.toString());
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                assertEquals(1024, Files.size(p), p + " is preallocated");
            }
        }
        assertEquals(range(1, 1, 20, PAYLOAD), reopenAndRead());
    }

    @Test
    void withNoSpareReadyTheRollCreatesTheSegmentInline() throws IOException {
        Spy spy = new Spy();
        try (FileTxnLog log = open(spy)) {
            spy.opened.clear();
            appendSynced(log, 1, 10);
            assertEquals(2, log.segmentCount());
            assertEquals(0, log.sparesUsed());
            assertEquals(List.of("log.00000000.0000000100000008.tmp"), spy.opened);
            assertEquals(1, queued.size(), "one preparation at a time");
            runQueued(); // late: ready for the roll after
            appendSynced(log, 11, 20);
            assertEquals(1, log.sparesUsed());
        }
        assertEquals(range(1, 1, 20, PAYLOAD), reopenAndRead());
    }

    /** A failed preparation is a WARN and an inline roll, whatever step of it failed. */
    @ParameterizedTest
    @ValueSource(strings = {"create", "write", "force", "dirsync"})
    void aFailedPreparationLeavesNoFileAndTheLogGoesOn(String kind) throws IOException {
        CrashFs fs = new CrashFs(dir);
        try (LogCapture logs = new LogCapture(SpareSegment.class);
                FileTxnLog log = open(fs)) {
            fs.failOp(kind, 0, "No space left on device (injected)");
            runQueued();
            assertEquals(0, log.sparesPrepared());
            assertEquals(List.of(), tmpFiles());
            assertEquals(1, logs.warnings().size(), logs.warnings().toString());
            assertTrue(logs.warnings().get(0).contains("No space left on device"),
                    logs.warnings().toString());
            appendSynced(log, 1, 10);
            assertEquals(2, log.segmentCount());
            assertEquals(0, log.sparesUsed());
            assertEquals(1, queued.size(), "the roll asks again");
        }
        assertEquals(range(1, 1, 10, PAYLOAD), reopenAndRead());
    }

    /** Using the spare fails before its rename (header force, rename): dropped, made inline. */
    @ParameterizedTest
    @ValueSource(strings = {"force", "move"})
    void aSpareThatCannotBeUsedIsDroppedAndTheSegmentMadeInline(String kind) throws IOException {
        CrashFs fs = new CrashFs(dir);
        try (LogCapture logs = new LogCapture(FileTxnLog.class); FileTxnLog log = open(fs)) {
            runQueued();
            appendSynced(log, 1, 7);
            // The roll forces the old segment first; the spare's header force is the next one.
            fs.failOp(kind, kind.equals("force") ? 1 : 0, "Input/output error (injected)");
            appendSynced(log, 8, 10);
            assertEquals(2, log.segmentCount());
            assertEquals(0, log.sparesUsed());
            assertEquals(1, logs.warnings().size(), logs.warnings().toString());
            assertEquals(List.of(), tmpFiles());
        }
        fs.crash(CrashFs.Mode.LOSE_ALL, new Random(1));
        assertEquals(range(1, 1, 10, PAYLOAD), reopenAndRead());
    }

    @Test
    void aCompleteSpareLeftByACrashIsDeletedAtStartAndTheLogIsIntact() throws IOException {
        CrashFs fs = new CrashFs(dir);
        FileTxnLog log = open(fs);
        runQueued();
        appendSynced(log, 1, 5);
        fs.crash(CrashFs.Mode.LOSE_ALL, new Random(2));
        assertEquals(1, tmpFiles().size(), "the spare was durable");
        assertEquals(range(1, 1, 5, PAYLOAD), reopenAndRead());
        assertEquals(List.of(), tmpFiles());
    }

    /** A crash at every operation of a preparation leaves only junk that start-up deletes. */
    @Test
    void aCrashAnywhereInAPreparationLeavesTheLogIntact() throws IOException {
        for (int k = 0; ; k++) {
            CrashFs fs = new CrashFs(dir);
            FileTxnLog log = open(fs);
            appendSynced(log, 1, 5);
            fs.crashAtOp(fs.ops() + k);
            runQueued();
            boolean hit = fs.crashed();
            fs.crash(CrashFs.Mode.ANY_SECTORS, new Random(k));
            assertEquals(range(1, 1, 5, PAYLOAD), reopenAndRead(), "crash at op " + k);
            assertEquals(List.of(), tmpFiles(), "crash at op " + k);
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.delete(p);
                }
            }
            if (!hit) {
                assertTrue(k > 3, "the preparation has a create, writes and two forces");
                return;
            }
        }
    }

    @Test
    void closeDeletesAReadySpareAndALatePreparationCleansUpAfterItself() throws IOException {
        FileTxnLog log = open(FileIo.REAL);
        runQueued();
        assertEquals(1, tmpFiles().size());
        log.close();
        assertEquals(List.of(), tmpFiles());
        FileTxnLog second = open(FileIo.REAL);
        second.close();
        runQueued(); // the preparation runs only after the log closed
        assertEquals(List.of(), tmpFiles());
    }

    /** The log's own thread: wait (with a deadline) for a spare, then the roll must use it. */
    @Test
    void theLogsOwnThreadMakesTheSpare() throws Exception {
        try (FileTxnLog log = FileTxnLog.open(dir, SPARES)) {
            awaitTrue(() -> log.sparesPrepared() == 1);
            appendSynced(log, 1, 10);
            assertEquals(1, log.sparesUsed());
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isDaemon()
                    && t.getName().equals("zab-log-spare-" + dir.toAbsolutePath())));
            awaitTrue(() -> log.sparesPrepared() == 2);
        }
        // close() deletes the ready spare itself; one being made would delete its own file.
        assertEquals(List.of(), tmpFiles());
        assertEquals(range(1, 1, 10, PAYLOAD), reopenAndRead());
    }

    /**
     * A real full disk (a 1 MiB tmpfs; needs root): the preparation meets it first and only
     * warns; the roll that then has no spare creates its segment inline, meets it too, and that
     * fails the log as without spares. Nothing synced is lost and no temp file stays.
     */
    @Test
    void onAFullDiskTheInlineRollFailsTheLogAsBefore() throws Exception {
        try (SmallTmpfs disk = SmallTmpfs.mount("spare-full")) {
            Path logDir = disk.resolve("log");
            Files.write(disk.resolve("filler"), new byte[640 * 1024]);
            FileTxnLog.Options options = new FileTxnLog.Options(64 * 1024, true, true, true);
            long synced = 0;
            IOException full = null;
            try (LogCapture logs = new LogCapture(SpareSegment.class);
                    FileTxnLog log = FileTxnLog.open(logDir, options, FileIo.REAL,
                            Runnable::run)) {
                for (long c = 1; c <= 2000 && full == null; c += 10) {
                    try {
                        log.append(range(1, c, c + 9, 1000));
                        log.sync();
                        synced = c + 9;
                    } catch (IOException e) {
                        full = e;
                    }
                }
                assertTrue(full != null, "the disk never filled");
                assertTrue(full.getMessage().contains("No space left on device"),
                        full.getMessage());
                assertTrue(log.sparesUsed() > 0, "spares used: " + log.sparesUsed());
                assertFalse(logs.warnings().isEmpty(), "the preparation met the full disk");
            }
            try (Stream<Path> s = Files.list(logDir)) {
                assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".tmp")).toList());
            }
            try (FileTxnLog log = FileTxnLog.open(logDir, options)) {
                List<Txn> got = log.readAfter(Zxid.ZERO);
                assertTrue(got.size() >= synced, "synced " + synced + ", got " + got.size());
                assertEquals(range(1, 1, got.size(), 1000), got);
            }
        }
    }

    @Test
    void optionsShortFormsKeepSegmentCreationInline() {
        assertFalse(new FileTxnLog.Options(1024, true).prepareNext());
        assertFalse(new FileTxnLog.Options(1024, true, false).prepareNext());
        assertTrue(FileTxnLog.Options.defaults().prepareNext());
        assertThrows(IllegalArgumentException.class,
                () -> new FileTxnLog.Options(100, true, true, true));
    }

    private static void awaitTrue(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within 30 s");
            Thread.sleep(5);
        }
    }
}
