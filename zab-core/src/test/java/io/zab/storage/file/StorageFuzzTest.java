package io.zab.storage.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.LogCapture;
import io.zab.storage.ShmTempDir;
import io.zab.storage.SnapshotStore.StoredSnapshot;
import io.zab.storage.Txns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over 10,000 damaged log, snapshot, epoch and membership files (bit flips, truncations, zero runs,
 * overwritten runs, appended garbage). Each must end in a clean recovery or a clear start-up
 * error, never another exception, and recovery may only drop records that no intact record of a
 * later batch follows (a torn last batch looks exactly like that), and never silently.
 */
class StorageFuzzTest {
    /** More for a long run: {@code -Dzab.storage.fuzzCases=200000 -Dzab.storage.fuzzSeed=9}. */
    private static final int LOG_CASES = Integer.getInteger("zab.storage.fuzzCases", 8000);
    private static final long SEED = Long.getLong("zab.storage.fuzzSeed", 20240601);
    private static final int SNAPSHOT_CASES = 2000;
    private static final int EPOCH_CASES = 500;
    private static final int MEMBERSHIP_CASES = 500;

    /** On tmpfs if there is one: the cases are many and tiny, so file system calls dominate. */
    @TempDir(factory = ShmTempDir.class)
    Path tmp;

    /** Where one original record sits. */
    private record Rec(int segment, long offset, int length, long batch) {
    }

    /** A log written once, as bytes, with the position of every record. */
    private static final class BaseLog {
        final FileTxnLog.Options options;
        final List<String> names = new ArrayList<>();
        final List<byte[]> files = new ArrayList<>();
        final List<Txn> txns = new ArrayList<>();
        final List<Rec> recs = new ArrayList<>();
        /** Per segment, the offset after its last record. */
        final List<Long> ends = new ArrayList<>();

        BaseLog(Path dir, boolean prealloc, Random random) throws IOException {
            options = new FileTxnLog.Options(512, prealloc);
            try (FileTxnLog log = FileTxnLog.open(dir, options, new CrashFs(dir))) {
                long c = 0;
                while (c < 45) {
                    List<Txn> batch = new ArrayList<>();
                    for (int i = 1 + random.nextInt(5); i > 0; i--) {
                        c++;
                        Txn t = Txns.txn(new Zxid(1, c), random.nextInt(60));
                        // Some carry the membership flag, so damage to it is fuzzed too.
                        batch.add(c % 5 == 0 ? new Txn(t.zxid(), t.data(), true) : t);
                    }
                    log.append(batch);
                    log.sync();
                    txns.addAll(batch);
                }
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString()).sorted().forEach(names::add);
            }
            for (int i = 0; i < names.size(); i++) {
                byte[] b = Files.readAllBytes(dir.resolve(names.get(i)));
                files.add(b);
                ByteBuffer bb = ByteBuffer.wrap(b);
                long pos = LogFormat.HEADER_BYTES;
                while (pos + LogFormat.RECORD_HEADER_BYTES <= b.length
                        && bb.getLong((int) pos + 8) != 0) {
                    int len = LogFormat.RECORD_HEADER_BYTES
                            + LogFormat.payloadLength(bb.getInt((int) pos));
                    recs.add(new Rec(i, pos, len, i * 1_000_000L + bb.getInt((int) pos + 16)));
                    pos += len;
                }
                ends.add(pos);
            }
            assertEquals(txns.size(), recs.size());
        }
    }

    @Test
    void damagedLogFilesRecoverCleanlyOrStopWithAClearError() throws IOException {
        Random random = new Random(SEED);
        BaseLog[] bases = {new BaseLog(tmp.resolve("base0"), true, random),
            new BaseLog(tmp.resolve("base1"), false, random)};
        assertTrue(bases[0].names.size() >= 4 && bases[1].names.size() >= 4);
        Path[] work = {tmp.resolve("work0"), tmp.resolve("work1")};
        writeAll(bases[0], work[0]);
        writeAll(bases[1], work[1]);
        int errors = 0;
        int cuts = 0;
        try (LogCapture logs = new LogCapture(LogRecovery.class)) {
            for (int i = 0; i < LOG_CASES; i++) {
                BaseLog base = bases[i % 2];
                int victim = random.nextInt(base.names.size());
                byte[] damaged = mutate(base.files.get(victim), random);
                int warnsBefore = logs.warnings().size();
                Outcome o = recover(base, work[i % 2], victim, damaged, i % 16 == 0);
                String what = "case " + i + ": " + base.names.get(victim) + " damaged";
                if (o.error != null) {
                    errors++;
                    checkError(o.error, work[i % 2], what);
                    assertTrue(touchesRecords(base, victim, damaged), what
                            + ": a start-up error although no record was touched: " + o.error);
                } else {
                    boolean warned = logs.warnings().size() > warnsBefore;
                    cuts += o.txns.size() < base.txns.size() ? 1 : 0;
                    checkRecovered(base, victim, damaged, o.txns, warned, what);
                }
            }
        }
        assertTrue(errors > LOG_CASES / 10 && cuts > LOG_CASES / 50,
                "the mutations reach both outcomes: " + errors + " errors, " + cuts + " cuts");
    }

    private record Outcome(List<Txn> txns, CorruptStorageException error) {
    }

    /**
     * Recovers {@code work} (holding the base log) with one file damaged, then puts back every
     * file recovery or the test's append may have changed.
     */
    private static Outcome recover(BaseLog base, Path work, int victim, byte[] damaged,
            boolean append) throws IOException {
        Files.write(work.resolve(base.names.get(victim)), damaged);
        try {
            return open(base, work, append);
        } finally {
            int last = base.names.size() - 1;
            Files.write(work.resolve(base.names.get(victim)), base.files.get(victim));
            Files.write(work.resolve(base.names.get(last)), base.files.get(last));
            if (append) {
                try (Stream<Path> s = Files.list(work)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        if (!base.names.contains(p.getFileName().toString())) {
                            Files.delete(p);
                        }
                    }
                }
            }
        }
    }

    private static Outcome open(BaseLog base, Path work, boolean append) throws IOException {
        FileTxnLog log;
        try {
            log = FileTxnLog.open(work, base.options);
        } catch (CorruptStorageException e) {
            return new Outcome(null, e);
        }
        try (log) {
            List<Txn> got = log.readAfter(Zxid.ZERO);
            assertEquals(Zxid.ZERO, log.base());
            if (append) {
                Zxid last = log.lastZxid();
                log.append(List.of(Txns.txn(new Zxid(last.epoch() + 1, 1), 5)));
                log.sync();
            }
            return new Outcome(got, null);
        }
    }

    private static void writeAll(BaseLog base, Path work) throws IOException {
        Files.createDirectories(work);
        for (int i = 0; i < base.names.size(); i++) {
            Files.write(work.resolve(base.names.get(i)), base.files.get(i));
        }
    }

    private static void checkError(CorruptStorageException e, Path work, String what) {
        assertTrue(e.file().startsWith(work), what + ": error names no file of the log: " + e);
        assertTrue(e.getMessage().contains(e.file().toString())
                && e.getMessage().contains("offset " + e.offset())
                && e.getMessage().contains("wipe its data directory"), what + ": " + e);
    }

    private static void checkRecovered(BaseLog base, int victim, byte[] damaged, List<Txn> got,
            boolean warned, String what) {
        if (!base.txns.subList(0, got.size()).equals(got)) {
            fail(what + ": recovered txns that are not a prefix of the log");
        }
        if (got.size() == base.txns.size()) {
            return;
        }
        Rec lost = base.recs.get(got.size());
        // Only an end that looks like no record was ever written there (zeros, or the file
        // ends) may go without a WARN: nothing tells it from a log that just ended there.
        boolean looksUnwritten = lost.segment() == victim
                && allZero(damaged, (int) Math.min(lost.offset(), damaged.length));
        assertTrue(warned || looksUnwritten, what + ": " + (base.txns.size() - got.size())
                + " records dropped without a WARN");
        for (int j = got.size() + 1; j < base.recs.size(); j++) {
            Rec r = base.recs.get(j);
            if (r.batch() != lost.batch() && intact(base, victim, damaged, r)) {
                fail(what + ": record " + got.size() + " dropped although the intact record "
                        + j + " of a later batch follows it");
            }
        }
    }

    private static boolean allZero(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean intact(BaseLog base, int victim, byte[] damaged, Rec r) {
        if (r.segment() != victim) {
            return true;
        }
        int from = (int) r.offset();
        int to = from + r.length();
        return to <= damaged.length && Arrays.equals(damaged, from, to,
                base.files.get(victim), from, to);
    }

    /** Whether the damage reaches a header or a record (or cuts into one). */
    private static boolean touchesRecords(BaseLog base, int victim, byte[] damaged) {
        byte[] orig = base.files.get(victim);
        int end = (int) (long) base.ends.get(victim);
        return damaged.length < end || !Arrays.equals(damaged, 0, end, orig, 0, end);
    }

    static byte[] mutate(byte[] orig, Random random) {
        byte[] b = orig.clone();
        switch (random.nextInt(5)) {
            case 0: // bit flips
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    int i = random.nextInt(b.length);
                    b[i] ^= (byte) (1 << random.nextInt(8));
                }
                return b;
            case 1: // truncation
                return Arrays.copyOf(b, random.nextInt(b.length));
            case 2: // zero run
                int at = random.nextInt(b.length);
                Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(64)), (byte) 0);
                return b;
            case 3: // overwritten run
                int from = random.nextInt(b.length);
                for (int i = from; i < Math.min(b.length, from + 1 + random.nextInt(32)); i++) {
                    b[i] = (byte) random.nextInt(256);
                }
                return b;
            default: // appended garbage
                byte[] more = new byte[1 + random.nextInt(200)];
                random.nextBytes(more);
                byte[] out = Arrays.copyOf(b, b.length + more.length);
                System.arraycopy(more, 0, out, b.length, more.length);
                return out;
        }
    }

    @Test
    void damagedSnapshotsAreSkippedForAnIntactOne() throws IOException {
        Random random = new Random(77);
        Path base = tmp.resolve("snapbase");
        FileSnapshotStore store = FileSnapshotStore.open(base, 2);
        byte[] older = new byte[400];
        byte[] newer = new byte[700];
        random.nextBytes(older);
        random.nextBytes(newer);
        store.save(new Zxid(1, 10), older);
        store.save(new Zxid(1, 20), newer);
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(base)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        List<String> names = new ArrayList<>(files.keySet());
        Path work = tmp.resolve("snapwork");
        Files.createDirectories(work);
        for (String n : names) {
            Files.write(work.resolve(n), files.get(n));
        }
        try (LogCapture quiet = new LogCapture(FileSnapshotStore.class)) {
            for (int i = 0; i < SNAPSHOT_CASES; i++) {
                int victim = random.nextInt(2);
                byte[] damaged = mutate(files.get(names.get(victim)), random);
                Path file = work.resolve(names.get(victim));
                Files.write(file, damaged);
                Optional<StoredSnapshot> got = FileSnapshotStore.open(work, 2).latest();
                Files.write(file, files.get(names.get(victim)));
                boolean unchanged = Arrays.equals(damaged, files.get(names.get(victim)));
                Zxid expected = victim == 0 || unchanged ? new Zxid(1, 20) : new Zxid(1, 10);
                assertEquals(expected, got.get().zxid(), "case " + i);
                assertArrayEquals(expected.counter() == 20 ? newer : older, got.get().data());
            }
        }
    }

    @Test
    void damagedEpochFilesStopStartUpNamingThem() throws IOException {
        Random random = new Random(5);
        Path dir = tmp.resolve("epochs");
        FileEpochStore.open(dir).save(4096, 4095);
        byte[] accepted = Files.readAllBytes(dir.resolve(FileEpochStore.ACCEPTED));
        for (int i = 0; i < EPOCH_CASES; i++) {
            byte[] damaged = mutate(accepted, random);
            Files.write(dir.resolve(FileEpochStore.ACCEPTED), damaged);
            try {
                FileEpochStore s = FileEpochStore.open(dir);
                assertArrayEquals(accepted, damaged, "case " + i + " accepted a damaged file");
                assertEquals(4096, s.acceptedEpoch());
            } catch (CorruptStorageException e) {
                assertEquals(dir.resolve(FileEpochStore.ACCEPTED), e.file(), "case " + i);
            }
        }
    }

    @Test
    void damagedMembershipFilesStopStartUpNamingThemAndTheOffset() throws IOException {
        Random random = new Random(6);
        Path dir = tmp.resolve("membership");
        io.zab.Membership saved = Txns.membershipTxn(new Zxid(3, 9)).newMembership();
        FileMembershipStore.open(dir).save(saved);
        Path file = dir.resolve(FileMembershipStore.FILE);
        byte[] good = Files.readAllBytes(file);
        for (int i = 0; i < MEMBERSHIP_CASES; i++) {
            byte[] damaged = mutate(good, random);
            Files.write(file, damaged);
            try {
                FileMembershipStore s = FileMembershipStore.open(dir);
                assertArrayEquals(good, damaged, "case " + i + " accepted a damaged file");
                assertEquals(saved, s.committed().get());
            } catch (CorruptStorageException e) {
                assertEquals(file, e.file(), "case " + i);
                assertTrue(e.offset() >= 0 && e.offset() <= damaged.length, "case " + i + ": "
                        + e.getMessage());
            }
        }
    }
}
