package io.zab.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.LogCapture;
import io.zab.storage.Txns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The membership file: every crash point of a save, temp files, damaged and cut files. */
class FileMembershipStoreTest {
    private static final Membership OLD = Txns.membershipTxn(new Zxid(1, 3)).newMembership();
    private static final Membership NEW = Txns.membershipTxn(new Zxid(2, 7)).newMembership();

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(FileMembershipStore.FILE);
    }

    @Test
    void aCrashAnywhereInASaveLeavesTheOldOrTheNewMembership() throws IOException {
        Random random = new Random(8);
        boolean completed = false;
        for (int k = 0; !completed; k++) {
            Path d = dir.resolve("k" + k);
            CrashFs fs = new CrashFs(d);
            FileMembershipStore s = FileMembershipStore.open(d, fs);
            s.save(OLD);
            fs.crashAtOp(fs.ops() + k);
            try {
                s.save(NEW);
                completed = true;
            } catch (IOException e) {
                assertTrue(fs.crashed(), e.toString());
            }
            fs.crash(CrashFs.Mode.values()[k % 3], random);
            Membership got = FileMembershipStore.open(d, fs).committed().get();
            if (completed) {
                assertEquals(NEW, got, "a save that returned is durable");
            } else {
                assertTrue(got.equals(OLD) || got.equals(NEW), "crash at op " + k + ": " + got);
            }
            assertFalse(Files.exists(d.resolve("membership.tmp")));
        }
    }

    @Test
    void noFileIsNoMembership() throws IOException {
        assertEquals(Optional.empty(), FileMembershipStore.open(dir).committed());
        assertFalse(Files.exists(file()), "opening writes nothing");
    }

    @Test
    void takesACompleteNewerTempFileWhoseRenameWasLost() throws IOException {
        FileMembershipStore.open(dir).save(OLD);
        Files.write(dir.resolve("membership.tmp"), FileMembershipStore.encode(NEW));
        try (LogCapture logs = new LogCapture(FileMembershipStore.class)) {
            assertEquals(NEW, FileMembershipStore.open(dir).committed().get());
            assertEquals(1, logs.warnings().size());
        }
        assertFalse(Files.exists(dir.resolve("membership.tmp")));
        assertEquals(NEW, FileMembershipStore.open(dir).committed().get());
    }

    @Test
    void dropsATornOrOlderTempFile() throws IOException {
        FileMembershipStore.open(dir).save(NEW);
        byte[] older = FileMembershipStore.encode(OLD);
        Files.write(dir.resolve("membership.tmp"), older);
        assertEquals(NEW, FileMembershipStore.open(dir).committed().get());
        assertFalse(Files.exists(dir.resolve("membership.tmp")));
        byte[] newest = FileMembershipStore.encode(NEW.withVersion(new Zxid(3, 1)));
        Files.write(dir.resolve("membership.tmp"), Arrays.copyOf(newest, newest.length - 1));
        assertEquals(NEW, FileMembershipStore.open(dir).committed().get());
        assertFalse(Files.exists(dir.resolve("membership.tmp")));
    }

    @Test
    void theLayoutIsMagicVersionLengthCrcThenTheMembership() throws IOException {
        FileMembershipStore.open(dir).save(NEW);
        byte[] b = Files.readAllBytes(file());
        byte[] body = NEW.encode();
        ByteBuffer h = ByteBuffer.wrap(b);
        assertEquals(16 + body.length, b.length);
        assertEquals("ZABM", new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, h.getInt(4));
        assertEquals(body.length, h.getInt(8));
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 12);
        crc.update(body);
        assertEquals((int) crc.getValue(), h.getInt(12));
        assertTrue(Arrays.equals(body, Arrays.copyOfRange(b, 16, b.length)));
    }

    @Test
    void theLargestMembershipFits() throws IOException {
        Map<PeerId, String> all = new TreeMap<>();
        for (int id = 1; id <= Membership.MAX_MEMBERS; id++) {
            all.put(PeerId.of(id), "h".repeat(Membership.MAX_ADDRESS_BYTES));
        }
        Membership largest = new Membership(new Zxid(1, 1), all, Map.of());
        assertTrue(largest.encode().length <= FileMembershipStore.MAX_BODY_BYTES);
        FileMembershipStore.open(dir).save(largest);
        assertEquals(largest, FileMembershipStore.open(dir).committed().get());
    }

    /** Writes {@code bytes} as the membership file and expects start-up to stop at {@code at}. */
    private void assertCorrupt(byte[] bytes, long at, String problem) throws IOException {
        Files.write(file(), bytes);
        CorruptStorageException e = assertThrows(CorruptStorageException.class,
                () -> FileMembershipStore.open(dir));
        assertEquals(file(), e.file());
        assertEquals(at, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(problem) && e.getMessage().contains(
                "wipe its data directory"), e.getMessage());
    }

    /** {@code bytes} with the header CRC made right again, so only the field edited is wrong. */
    private static byte[] recrc(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 12);
        crc.update(bytes, 16, bytes.length - 16);
        b.putInt(12, (int) crc.getValue());
        return bytes;
    }

    @Test
    void aDamagedOrCutFileStopsStartUpNamingItAndTheOffset() throws IOException {
        byte[] good = FileMembershipStore.encode(NEW);
        assertCorrupt(new byte[0], 0, "cut short");
        assertCorrupt(Arrays.copyOf(good, 10), 10, "cut short");
        assertCorrupt(Arrays.copyOf(good, good.length - 3), good.length - 3, "cut short");
        assertCorrupt(Arrays.copyOf(good, good.length + 2), good.length, "bytes after");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertCorrupt(magic, 0, "magic");
        byte[] flipped = good.clone();
        flipped[30] ^= 4;
        assertCorrupt(flipped, 12, "CRC");
        byte[] length = good.clone();
        ByteBuffer.wrap(length).putInt(8, -1);
        assertCorrupt(length, 8, "length");
        byte[] version = good.clone();
        ByteBuffer.wrap(version).putInt(4, 2);
        assertCorrupt(recrc(version), 4, "version 2");
        byte[] notOne = good.clone();
        notOne[16] = 9; // Membership's own format byte
        assertCorrupt(recrc(notOne), 16, "not a membership");
    }
}
