package io.zab.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.storage.file.FileTxnLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk bound's measurement, briefly on small files, and its summary line. */
class DiskBoundTest {
    @TempDir
    Path dir;

    @Test
    void threeLogsAreAppendedInForcedBatchesOfTheWindow() throws Exception {
        int record = FileTxnLog.recordBytes(100);
        DiskBound.Result r = DiskBound.measure(dir, 3, record, 50, TimeUnit.MILLISECONDS
                .toNanos(300), true, 1 << 20);
        assertEquals(120, record, "a record is its 20-byte header and the payload");
        assertEquals(3, r.logs());
        assertEquals(50, r.batch());
        assertTrue(r.records() >= 3 * 50, "each log wrote at least one batch: " + r);
        assertEquals(r.records(), r.forces() * 50, "one force per batch: " + r);
        assertTrue(r.recordsPerSec() > 0, r.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(1 << 20, Files.size(dir.resolve("log-" + i)), "preallocated");
        }
    }

    @Test
    void aBatchNeverExceedsTheFile() throws Exception {
        DiskBound.Result r = DiskBound.measure(dir, 1, 1000, 1000, 1, false, 4096);
        assertEquals(4, r.batch());
        assertEquals(0, r.forces());
    }

    @Test
    void theSummarySaysTheBoundAndZabsFractionOfIt() {
        DiskBound.Result r = new DiskBound.Result(3, 1044, 1000, true, 300_000, 300, 2.0);
        assertEquals(50_000, r.recordsPerSec(), 1e-9);
        assertEquals("disk bound: 50,000 records/s; zab = 80.0% of it", r.summary(40_000));
    }
}
