package io.zab.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.ShmTempDir;
import io.zab.storage.Txns;
import io.zab.storage.memory.MemoryTxnLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random sequences of append, truncate, reset, sync, reopen and crash (at random points inside
 * an operation too, in all three {@link CrashFs.Mode}s) against the file log and the memory log.
 * Without a crash both must answer alike; after a crash the file log must hold a state the
 * memory log's crash model allows: everything synced, then a prefix of the later operations, the
 * last append possibly torn.
 */
class FileTxnLogModelTest {
    /** More for a long run: {@code -Dzab.storage.seeds=5000 -Dtest=FileTxnLogModelTest}. */
    private static final int SEEDS = Integer.getInteger("zab.storage.seeds", 100);
    private static final int STEPS = 250;

    @TempDir(factory = ShmTempDir.class)
    Path tmp;

    private sealed interface Op {
    }

    private record Append(List<Txn> txns) implements Op {
    }

    private record Truncate(Zxid lastKept) implements Op {
    }

    private record Reset(Zxid base) implements Op {
    }

    private Random random;
    private CrashFs fs;
    private Path dir;
    private FileTxnLog.Options options;
    private FileTxnLog file;
    private MemoryTxnLog memory;
    private Zxid durableBase;
    private List<Txn> durable;
    private final List<Op> unsynced = new ArrayList<>();

    @Test
    void fileLogBehavesLikeTheMemoryLog() throws IOException {
        for (int seed = 0; seed < SEEDS; seed++) {
            try {
                run(seed);
            } catch (AssertionError | RuntimeException | IOException e) {
                throw new AssertionError("seed " + seed + ": " + e, e);
            }
        }
    }

    private void run(long seed) throws IOException {
        random = new Random(seed);
        dir = tmp.resolve("seed" + seed);
        fs = new CrashFs(dir);
        options = new FileTxnLog.Options(256 + random.nextInt(4096), random.nextBoolean());
        file = FileTxnLog.open(dir, options, fs);
        memory = new MemoryTxnLog();
        durableBase = Zxid.ZERO;
        durable = new ArrayList<>();
        unsynced.clear();
        for (int step = 0; step < STEPS; step++) {
            step();
            assertEquals(memory.base(), file.base(), "base");
            assertEquals(memory.lastZxid(), file.lastZxid(), "lastZxid");
        }
        assertEquals(memory.readAfter(Zxid.ZERO), file.readAfter(Zxid.ZERO));
        file.close();
    }

    private void step() throws IOException {
        int dice = random.nextInt(100);
        if (random.nextInt(25) == 0) {
            fs.crashAtOp(fs.ops() + random.nextInt(12));
        }
        try {
            if (dice < 50) {
                Op op = new Append(nextTxns());
                unsynced.add(op);
                file.append(((Append) op).txns());
                memory.append(((Append) op).txns());
            } else if (dice < 65) {
                file.sync();
                memory.sync();
                durableBase = memory.base();
                durable = new ArrayList<>(memory.readAfter(Zxid.ZERO));
                unsynced.clear();
            } else if (dice < 73) {
                Zxid kept = someZxid();
                unsynced.add(new Truncate(kept));
                file.truncateAfter(kept);
                memory.truncateAfter(kept);
            } else if (dice < 76) {
                Zxid base = new Zxid(random.nextInt(6), random.nextInt(20));
                unsynced.add(new Reset(base));
                file.reset(base);
                memory.reset(base);
            } else if (dice < 88) {
                Zxid after = random.nextBoolean() ? Zxid.ZERO : someZxid();
                assertEquals(memory.readAfter(after), file.readAfter(after), "after " + after);
            } else if (dice < 91) {
                file.close();
                file = FileTxnLog.open(dir, options, fs);
                assertEquals(memory.readAfter(Zxid.ZERO), file.readAfter(Zxid.ZERO), "reopen");
            } else {
                crash();
            }
        } catch (IOException e) {
            if (!fs.crashed()) {
                throw e;
            }
            crash();
        }
        fs.crashAtOp(Long.MAX_VALUE);
    }

    private List<Txn> nextTxns() {
        Zxid prev = memory.lastZxid();
        List<Txn> out = new ArrayList<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
            Zxid next = random.nextInt(10) == 0 || prev.counter() == Zxid.MAX_PART
                    ? new Zxid(prev.epoch() + 1, 1) : new Zxid(prev.epoch(), prev.counter() + 1);
            int size = random.nextInt(20) == 0 ? 3000 + random.nextInt(3000) : random.nextInt(200);
            Txn t = Txns.txn(next, size);
            // Some flagged as membership changes: the flag must survive like the data.
            out.add(next.counter() % 6 == 0 ? new Txn(next, t.data(), true) : t);
            prev = next;
        }
        return out;
    }

    /** A zxid at or above the base: one in the log, or one between or past its txns. */
    private Zxid someZxid() throws IOException {
        List<Txn> all = memory.readAfter(Zxid.ZERO);
        if (all.isEmpty() || random.nextInt(8) == 0) {
            Zxid b = memory.base();
            Zxid other = new Zxid(b.epoch() + random.nextInt(3), 0);
            return random.nextBoolean() || other.isBefore(b) ? b : other;
        }
        return all.get(random.nextInt(all.size())).zxid();
    }

    private void crash() throws IOException {
        CrashFs.Mode mode = CrashFs.Mode.values()[random.nextInt(3)];
        fs.crash(mode, random);
        // Sometimes the node dies again while recovering (cutting a torn tail, deleting what a
        // truncation superseded): the next recovery must still find an allowed state.
        for (int again = 0; again < 3 && random.nextInt(4) == 0; again++) {
            fs.crashAtOp(fs.ops() + random.nextInt(4));
            try {
                FileTxnLog.open(dir, options, fs).close();
            } catch (IOException e) {
                if (!fs.crashed()) {
                    throw e;
                }
            }
            fs.crash(CrashFs.Mode.values()[random.nextInt(3)], random);
        }
        file = FileTxnLog.open(dir, options, fs);
        Zxid base = file.base();
        List<Txn> got = file.readAfter(Zxid.ZERO);
        if (!allowed(base, got)) {
            fail("after a " + mode + " crash the log holds base " + base + " and " + got
                    + "; durable was " + durableBase + " " + durable + ", then " + unsynced);
        }
        memory = new MemoryTxnLog();
        memory.reset(base);
        memory.append(got);
        memory.sync();
        durableBase = base;
        durable = new ArrayList<>(got);
        unsynced.clear();
    }

    /** Whether the crash model of {@link MemoryTxnLog} allows this state. */
    private boolean allowed(Zxid base, List<Txn> got) {
        Zxid b = durableBase;
        List<Txn> state = new ArrayList<>(durable);
        for (int k = 0; ; k++) {
            if (b.equals(base) && state.equals(got)) {
                return true;
            }
            if (k == unsynced.size()) {
                return false;
            }
            Op op = unsynced.get(k);
            if (op instanceof Append a && b.equals(base) && got.size() > state.size()
                    && got.size() < state.size() + a.txns().size()) {
                List<Txn> torn = new ArrayList<>(state);
                torn.addAll(a.txns().subList(0, got.size() - state.size()));
                if (torn.equals(got)) {
                    return true;
                }
            }
            if (op instanceof Append a) {
                state.addAll(a.txns());
            } else if (op instanceof Truncate t) {
                state.removeIf(x -> x.zxid().isAfter(t.lastKept()));
            } else {
                b = ((Reset) op).base();
                state.clear();
            }
        }
    }
}
