package io.zab.storage.file;

import static io.zab.storage.Txns.concat;
import static io.zab.storage.Txns.membershipTxn;
import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.txn;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.storage.CorruptLogException;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.LogCapture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File-specific behaviour of the log: segments, recovery of damaged files, purge, failures. */
class FileTxnLogTest {
    private static final FileTxnLog.Options SMALL = new FileTxnLog.Options(1024, true);
    private static final int RECORD = LogFormat.RECORD_HEADER_BYTES + 8;

    @TempDir
    Path dir;

    private FileTxnLog open() throws IOException {
        return FileTxnLog.open(dir, SMALL);
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> LogFormat.parseName(p.getFileName().toString()) != null)
                    .sorted().collect(Collectors.toList());
        }
    }

    private static void poke(Path file, long offset, int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int old = f.read();
            f.seek(offset);
            f.write(value < 0 ? old ^ 0x10 : value);
        }
    }

    /** Three synced batches of 5 txns (8-byte payloads) in one segment. */
    private void threeBatches() throws IOException {
        try (FileTxnLog log = open()) {
            for (int b = 0; b < 3; b++) {
                log.append(range(1, b * 5 + 1, b * 5 + 5));
                log.sync();
            }
        }
    }

    @Test
    void rollsPreallocatedSegmentsNamedByGenerationAndBase() throws IOException {
        try (FileTxnLog log = open()) {
            for (int i = 0; i < 10; i++) {
                log.append(range(1, i * 10 + 1, i * 10 + 10, 60));
            }
            log.sync();
            assertTrue(log.segmentCount() > 5);
        }
        List<Path> segs = segments();
        assertEquals("log.00000000.0000000000000000", segs.get(0).getFileName().toString());
        for (Path p : segs) {
            assertEquals(1024, Files.size(p), p + " is preallocated");
        }
        try (FileTxnLog log = open()) {
            assertEquals(range(1, 1, 100, 60), log.readAfter(Zxid.ZERO));
            assertEquals(range(1, 51, 100, 60), log.readAfter(z(1, 50)));
        }
    }

    @Test
    void aCleanReopenWarnsAboutNothing() throws IOException {
        threeBatches();
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 15), log.readAfter(Zxid.ZERO));
            assertEquals(List.of(), logs.warnings());
        }
    }

    @Test
    void aTornTailIsCutWithOneWarnNamingFileAndOffset() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        long end = LogFormat.HEADER_BYTES + 15L * RECORD;
        poke(seg, end + 3, 0x55); // half a record header
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 15), log.readAfter(Zxid.ZERO));
            assertEquals(1, logs.warnings().size(), logs.warnings().toString());
            String warn = logs.warnings().get(0);
            assertTrue(warn.contains(seg.toString()) && warn.contains("offset " + end), warn);
            log.append(range(1, 16, 17));
            log.sync();
        }
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 17), log.readAfter(Zxid.ZERO));
            assertEquals(List.of(), logs.warnings());
        }
    }

    @Test
    void aDamagedRecordBeforeALaterBatchStopsStartUp() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        long offset = LogFormat.HEADER_BYTES + 6L * RECORD; // txn 7, second batch
        poke(seg, offset + 22, -1);
        CorruptLogException e = assertThrows(CorruptLogException.class, this::open);
        assertEquals(seg, e.file());
        assertEquals(offset, e.offset());
        assertEquals(z(1, 6), e.lastGoodZxid());
        assertTrue(e.getMessage().contains("wipe its data directory")
                && e.getMessage().contains("--initial-cluster-state existing"), e.getMessage());
    }

    private static int lengthFieldAt(Path seg, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "r")) {
            f.seek(offset);
            return f.readInt();
        }
    }

    /** Rewrites the length field of the record at {@code offset}, with a CRC that matches. */
    private static void rewriteLengthField(Path seg, long offset, int field) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            byte[] header = new byte[LogFormat.RECORD_HEADER_BYTES];
            f.seek(offset);
            f.readFully(header);
            byte[] payload = new byte[LogFormat.payloadLength(field)];
            f.readFully(payload);
            ByteBuffer.wrap(header).putInt(0, field);
            ByteBuffer.wrap(header).putInt(4,
                    LogFormat.recordCrc(header, 0, payload, 0, payload.length));
            f.seek(offset);
            f.write(header);
        }
    }

    @Test
    void theMembershipFlagIsTheTopBitOfTheLengthField() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(List.of(txn(1, 1), membershipTxn(z(1, 2))));
            log.sync();
        }
        Path seg = segments().get(0);
        assertEquals(8, lengthFieldAt(seg, LogFormat.HEADER_BYTES));
        int m = membershipTxn(z(1, 2)).data().length;
        assertEquals(0x8000_0000 | m, lengthFieldAt(seg, LogFormat.HEADER_BYTES + RECORD));
        assertEquals(LogFormat.RECORD_HEADER_BYTES + m, FileTxnLog.recordBytes(m),
                "the flag takes no room");
    }

    @Test
    void aFlippedMembershipFlagFailsTheCrc() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        long offset = LogFormat.HEADER_BYTES + 6L * RECORD; // txn 7, second batch
        poke(seg, offset, 0x80); // a host txn would read as a membership change
        CorruptLogException e = assertThrows(CorruptLogException.class, this::open);
        assertEquals(seg, e.file());
        assertEquals(offset, e.offset());
        assertEquals(z(1, 6), e.lastGoodZxid());
        poke(seg, offset, 0);
        long last = LogFormat.HEADER_BYTES + 14L * RECORD; // txn 15, the last batch
        poke(seg, last, 0x80);
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 14), log.readAfter(Zxid.ZERO), "cut as a torn write");
            assertEquals(1, logs.warnings().size(), logs.warnings().toString());
        }
    }

    @Test
    void anIntactRecordWithAnUnknownFlagStopsStartUp() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        // Txn 15 is the last record of the last batch: were it not intact, recovery would cut
        // it as a torn write. Its CRC matches, so the bit was written: corruption.
        long offset = LogFormat.HEADER_BYTES + 14L * RECORD;
        rewriteLengthField(seg, offset, 8 | 1 << 30);
        CorruptLogException e = assertThrows(CorruptLogException.class, this::open);
        assertEquals(seg, e.file());
        assertEquals(offset, e.offset());
        assertEquals(z(1, 14), e.lastGoodZxid());
        assertTrue(e.getMessage().contains("flag bits"), e.getMessage());
    }

    @Test
    void holesInTheLastBatchAreATornWriteNotCorruption() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        // The last batch (txns 11-15) lost its first sector-sized piece: txns 11 and 12.
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(LogFormat.HEADER_BYTES + 10L * RECORD);
            f.write(new byte[2 * RECORD]);
        }
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 10), log.readAfter(Zxid.ZERO));
            assertEquals(1, logs.warnings().size());
            assertTrue(logs.warnings().get(0).contains("3 intact records"),
                    logs.warnings().get(0));
        }
    }

    @Test
    void damageInAnOlderSegmentStopsStartUp() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(range(1, 1, 100, 60));
            log.sync();
        }
        Path first = segments().get(0);
        poke(first, LogFormat.HEADER_BYTES + 2L * (LogFormat.RECORD_HEADER_BYTES + 60) + 30, -1);
        CorruptLogException e = assertThrows(CorruptLogException.class, this::open);
        assertEquals(first, e.file());
        assertEquals(z(1, 2), e.lastGoodZxid());
    }

    @Test
    void aMissingSegmentStopsStartUp() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(range(1, 1, 100, 60));
            log.sync();
        }
        List<Path> segs = segments();
        Files.delete(segs.get(2));
        CorruptLogException e = assertThrows(CorruptLogException.class, this::open);
        assertEquals(segs.get(3), e.file());
        assertTrue(e.getMessage().contains("records are missing"), e.getMessage());
    }

    @Test
    void aDamagedHeaderStopsStartUp() throws IOException {
        threeBatches();
        Path seg = segments().get(0);
        poke(seg, 20, -1);
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        assertEquals(seg, e.file());
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void garbageAfterTheLastRecordOfAnOlderSegmentIsCut() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(range(1, 1, 40, 60));
            log.sync();
        }
        Path first = segments().get(0);
        poke(first, 1020, 0x77);
        try (LogCapture logs = new LogCapture(LogRecovery.class); FileTxnLog log = open()) {
            assertEquals(range(1, 1, 40, 60), log.readAfter(Zxid.ZERO));
            assertEquals(1, logs.warnings().size());
            assertTrue(logs.warnings().get(0).contains("no record is lost"));
        }
    }

    @Test
    void leftoverTempSegmentsAreDeleted() throws IOException {
        threeBatches();
        Path tmp = dir.resolve("log.00000000.0000000100000005.tmp");
        Files.write(tmp, new byte[100]);
        try (FileTxnLog log = open()) {
            assertEquals(range(1, 1, 15), log.readAfter(Zxid.ZERO));
        }
        assertFalse(Files.exists(tmp));
    }

    @Test
    void purgeDropsWholeSegmentsUpToAZxidAndSurvivesReopen() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(range(1, 1, 100, 60));
            log.sync();
            log.purge(z(1, 50));
            Zxid base = log.base();
            assertTrue(!base.isAfter(z(1, 50)) && base.isAfter(z(1, 30)), "base " + base);
            assertEquals(range(1, base.counter() + 1, 100, 60), log.readAfter(Zxid.ZERO));
            log.purge(z(9, 9));
            assertEquals(1, log.segmentCount());
            assertEquals(log.lastZxid(), z(1, 100));
        }
        try (FileTxnLog log = open()) {
            assertEquals(z(1, 100), log.lastZxid());
            log.append(range(1, 101, 101));
        }
    }

    @Test
    void truncatingIntoAnOlderSegmentStartsANewGeneration() throws IOException {
        try (FileTxnLog log = open()) {
            log.append(range(1, 1, 100, 60));
            log.sync();
            log.truncateAfter(z(1, 7));
            log.append(range(2, 1, 3, 60));
            log.sync();
        }
        List<String> names = segments().stream().map(p -> p.getFileName().toString())
                .collect(Collectors.toList());
        assertEquals(List.of("log.00000000.0000000000000000", "log.00000001.0000000100000007"),
                names);
        try (FileTxnLog log = open()) {
            assertEquals(concat(range(1, 1, 7, 60), range(2, 1, 3, 60)),
                    log.readAfter(Zxid.ZERO));
        }
    }

    @Test
    void afterAFailedForceTheLogRefusesEverythingUntilReopened() throws IOException {
        CrashFs fs = new CrashFs(dir);
        FileTxnLog log = FileTxnLog.open(dir, SMALL, fs);
        log.append(range(1, 1, 5));
        log.sync();
        log.append(range(1, 6, 8));
        fs.failOp("force", 0, "Input/output error");
        IOException e = assertThrows(IOException.class, log::sync);
        assertTrue(e.getMessage().contains("sync failed") && e.getMessage().contains(
                "Input/output error"), e.getMessage());
        IOException again = assertThrows(IOException.class, log::sync);
        assertTrue(again.getMessage().contains("failed earlier"), again.getMessage());
        assertThrows(IOException.class, () -> log.append(range(1, 9, 9)));
        assertThrows(IOException.class, () -> log.readAfter(Zxid.ZERO));
        log.close();
        fs.crash(CrashFs.Mode.LOSE_ALL, new Random(3));
        try (FileTxnLog reopened = FileTxnLog.open(dir, SMALL, fs)) {
            assertEquals(range(1, 1, 5), reopened.readAfter(Zxid.ZERO));
        }
    }

    @Test
    void rotAfterStartIsReportedByReads() throws IOException {
        threeBatches();
        try (FileTxnLog log = open()) {
            poke(segments().get(0), LogFormat.HEADER_BYTES + 3L * RECORD + 25, -1);
            CorruptLogException e = assertThrows(CorruptLogException.class,
                    () -> log.readAfter(Zxid.ZERO));
            assertEquals(LogFormat.HEADER_BYTES + 3L * RECORD, e.offset());
        }
    }

    @Test
    void rejectsBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new FileTxnLog.Options(100, true));
        assertThrows(IllegalArgumentException.class,
                () -> new FileTxnLog.Options(2L << 30, true));
    }
}
