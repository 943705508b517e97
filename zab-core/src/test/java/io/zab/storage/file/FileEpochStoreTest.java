package io.zab.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.storage.CorruptStorageException;
import io.zab.storage.LogCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic epoch files: every crash point of a save, temp files, damaged files. */
class FileEpochStoreTest {
    @TempDir
    Path dir;

    @Test
    void aCrashAnywhereInASaveLeavesTheOldOrTheNewEpochsNeverAMix() throws IOException {
        Random random = new Random(7);
        boolean completed = false;
        for (int k = 0; !completed; k++) {
            Path d = dir.resolve("k" + k);
            CrashFs fs = new CrashFs(d);
            FileEpochStore s = FileEpochStore.open(d, fs);
            s.save(3, 2);
            fs.crashAtOp(fs.ops() + k);
            try {
                s.save(5, 5);
                completed = true;
            } catch (IOException e) {
                assertTrue(fs.crashed(), e.toString());
            }
            fs.crash(CrashFs.Mode.values()[k % 3], random);
            FileEpochStore after = FileEpochStore.open(d, fs);
            List<Long> got = List.of(after.acceptedEpoch(), after.currentEpoch());
            if (completed) {
                assertEquals(List.of(5L, 5L), got, "a save that returned is durable");
            } else {
                assertTrue(Set.of(List.of(3L, 2L), List.of(5L, 2L), List.of(5L, 5L))
                        .contains(got), "crash at op " + k + " left " + got);
            }
            assertFalse(Files.exists(d.resolve("acceptedEpoch.tmp")));
            assertFalse(Files.exists(d.resolve("currentEpoch.tmp")));
        }
    }

    @Test
    void takesACompleteNewerTempFileWhoseRenameWasLost() throws IOException {
        FileEpochStore.open(dir).save(3, 3);
        Files.write(dir.resolve("acceptedEpoch.tmp"), FileEpochStore.encode(4));
        try (LogCapture logs = new LogCapture(FileEpochStore.class)) {
            FileEpochStore s = FileEpochStore.open(dir);
            assertEquals(4, s.acceptedEpoch());
            assertEquals(1, logs.warnings().size());
        }
        assertFalse(Files.exists(dir.resolve("acceptedEpoch.tmp")));
        assertEquals(4, FileEpochStore.open(dir).acceptedEpoch());
    }

    @Test
    void dropsATornOrOlderTempFile() throws IOException {
        FileEpochStore.open(dir).save(3, 3);
        Files.write(dir.resolve("acceptedEpoch.tmp"), "9 0a".getBytes(StandardCharsets.US_ASCII));
        Files.write(dir.resolve("currentEpoch.tmp"), FileEpochStore.encode(2));
        FileEpochStore s = FileEpochStore.open(dir);
        assertEquals(3, s.acceptedEpoch());
        assertEquals(3, s.currentEpoch());
        assertFalse(Files.exists(dir.resolve("acceptedEpoch.tmp")));
        assertFalse(Files.exists(dir.resolve("currentEpoch.tmp")));
    }

    @Test
    void aDamagedEpochFileStopsStartUpNamingIt() throws IOException {
        FileEpochStore.open(dir).save(12, 11);
        byte[] b = Files.readAllBytes(dir.resolve("currentEpoch"));
        b[1] = '7'; // 11 -> 17: the CRC no longer matches
        Files.write(dir.resolve("currentEpoch"), b);
        CorruptStorageException e = assertThrows(CorruptStorageException.class,
                () -> FileEpochStore.open(dir));
        assertEquals(dir.resolve("currentEpoch"), e.file());
        assertTrue(e.getMessage().contains("wipe its data directory"), e.getMessage());
    }

    @Test
    void currentAboveAcceptedOnDiskStopsStartUp() throws IOException {
        Files.write(dir.resolve("acceptedEpoch"), FileEpochStore.encode(2));
        Files.write(dir.resolve("currentEpoch"), FileEpochStore.encode(3));
        CorruptStorageException e = assertThrows(CorruptStorageException.class,
                () -> FileEpochStore.open(dir));
        assertTrue(e.getMessage().contains("above acceptedEpoch"), e.getMessage());
    }

    @Test
    void theFormatIsOneReadableLine() throws IOException {
        FileEpochStore.open(dir).save(5, 4);
        String text = Files.readString(dir.resolve("acceptedEpoch"));
        assertTrue(text.matches("5 [0-9a-f]{8}\n"), text);
    }
}
