package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The core's description of its log ({@link LogExtent}: a start and a range of counters per
 * epoch) against a naive model, the list of every logged zxid, under random appends, truncations,
 * purges and resets; and the union with the history in memory ({@link ServableHistory}) that the
 * sync planner sees, against the naive union.
 */
class LogExtentTest {
    /** The model: the start and every logged zxid after it, in order. */
    private static final class Model {
        Zxid start = Zxid.ZERO;
        final List<Zxid> zxids = new ArrayList<>();

        Zxid last() {
            return zxids.isEmpty() ? start : zxids.get(zxids.size() - 1);
        }

        boolean contains(Zxid z) {
            return z.equals(start) || zxids.contains(z);
        }

        Zxid floor(Zxid z) {
            Zxid best = start;
            for (Zxid x : zxids) {
                if (!x.isAfter(z)) {
                    best = x;
                }
            }
            return best;
        }

        Zxid next(Zxid z) {
            if (z.equals(start)) {
                return zxids.isEmpty() ? null : zxids.get(0);
            }
            int i = zxids.indexOf(z);
            return i + 1 < zxids.size() ? zxids.get(i + 1) : null;
        }
    }

    @Test
    void theRangesAnswerAsTheListOfEveryZxidWould() {
        SplittableRandom r = new SplittableRandom(16);
        for (int run = 0; run < 300; run++) {
            Model m = new Model();
            LogExtent log = new LogExtent(Zxid.ZERO, List.of());
            for (int step = 0; step < 60; step++) {
                apply(r, m, log);
                check(r, m, log);
            }
        }
    }

    private static void apply(SplittableRandom r, Model m, LogExtent log) {
        int op = r.nextInt(10);
        if (op < 6) {
            Zxid last = m.last();
            Zxid next = r.nextInt(4) == 0 ? new Zxid(last.epoch() + 1 + r.nextInt(2), 1)
                    : new Zxid(Math.max(1, last.epoch()), last.epoch() == 0 ? 1
                            : last.counter() + 1);
            m.zxids.add(next);
            log.append(next);
        } else if (op < 8 && !m.zxids.isEmpty()) {
            int keep = r.nextInt(m.zxids.size() + 1);
            Zxid lastKept = keep == 0 ? m.start : m.zxids.get(keep - 1);
            m.zxids.subList(keep, m.zxids.size()).clear();
            log.truncateAfter(lastKept);
        } else if (op < 9) {
            // Any zxid: logged or not, below or above the log.
            Zxid last = m.last();
            Zxid upTo = new Zxid(r.nextLong(last.epoch() + 2), r.nextLong(last.counter() + 3));
            if (upTo.isAfter(m.start)) {
                Zxid floor = m.floor(upTo);
                m.zxids.removeIf(z -> !z.isAfter(floor));
                m.start = floor;
            }
            log.purge(upTo);
        } else {
            Zxid base = new Zxid(m.last().epoch() + r.nextInt(2), r.nextInt(5));
            m.start = base;
            m.zxids.clear();
            log.reset(base);
        }
    }

    private static void check(SplittableRandom r, Model m, LogExtent log) {
        String where = m.start + " " + m.zxids + " vs " + log;
        assertEquals(m.start, log.start(), where);
        assertEquals(m.last(), log.last(), where);
        TreeSet<Zxid> probes = new TreeSet<>(m.zxids);
        probes.add(m.start);
        for (int i = 0; i < 6; i++) {
            probes.add(new Zxid(r.nextLong(m.last().epoch() + 2),
                    r.nextLong(m.last().counter() + 3)));
        }
        for (Zxid z : probes) {
            assertEquals(m.contains(z), log.contains(z), "contains " + z + ": " + where);
            if (!z.isBefore(m.start)) {
                assertEquals(m.floor(z), log.floor(z), "floor " + z + ": " + where);
            }
            if (m.contains(z)) {
                assertEquals(m.next(z), log.next(z), "next " + z + ": " + where);
            }
        }
    }

    @Test
    void aGapOrATruncationBelowTheStartIsRefused() {
        LogExtent log = new LogExtent(new Zxid(1, 4), List.of());
        assertThrows(IllegalStateException.class, () -> log.append(new Zxid(1, 6)));
        log.append(new Zxid(1, 5));
        log.append(new Zxid(3, 1));
        assertThrows(IllegalStateException.class, () -> log.append(new Zxid(3, 3)));
        log.purge(new Zxid(2, 7));
        assertEquals(new Zxid(1, 5), log.start(), "nothing logged in epoch 2: (1,5) is the floor");
        assertThrows(IllegalStateException.class, () -> log.truncateAfter(new Zxid(1, 4)));
    }

    /**
     * What the planner sees: the history in memory (trimmed to its last txns) and the log (maybe
     * purged past the history's base) together answer as their naive union.
     */
    @Test
    void theServableHistoryIsTheUnionOfTheLogAndTheHistory() {
        SplittableRandom r = new SplittableRandom(3);
        for (int run = 0; run < 2_000; run++) {
            List<Txn> txns = new ArrayList<>();
            Zxid last = Zxid.ZERO;
            int n = 1 + r.nextInt(30);
            for (int i = 0; i < n; i++) {
                last = r.nextInt(5) == 0 || last.epoch() == 0 ? new Zxid(last.epoch() + 1, 1)
                        : new Zxid(last.epoch(), last.counter() + 1);
                txns.add(new Txn(last, new byte[1 + r.nextInt(3)]));
            }
            History history = new History(Zxid.ZERO, txns);
            LogExtent log = new LogExtent(Zxid.ZERO, txns);
            history.trim(r.nextInt(n + 1), Long.MAX_VALUE, last);
            Zxid purgeTo = txns.get(r.nextInt(n)).zxid();
            if (r.nextBoolean()) {
                log.purge(purgeTo);
            }
            ServableHistory union = new ServableHistory(history, log);
            Zxid base = Zxid.min(history.base(), log.start());
            assertEquals(base, union.base());
            assertEquals(last, union.last());
            List<Zxid> held = new ArrayList<>();
            for (Txn t : txns) {
                if (t.zxid().isAfter(base)) {
                    held.add(t.zxid());
                }
            }
            for (int probe = 0; probe < 20; probe++) {
                Zxid z = new Zxid(r.nextLong(last.epoch() + 2), r.nextLong(10));
                assertEquals(z.equals(base) || held.contains(z), union.contains(z),
                        "contains " + z + " in " + held + " after " + base);
                if (!z.isBefore(base)) {
                    Zxid floor = base;
                    for (Zxid h : held) {
                        floor = h.isAfter(z) ? floor : h;
                    }
                    assertEquals(floor, union.floor(z), "floor " + z);
                }
            }
            assertTrue(union.onlyInLog(base) == base.isBefore(history.base()));
        }
    }
}
