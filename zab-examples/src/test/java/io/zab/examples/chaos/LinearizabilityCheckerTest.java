package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.examples.chaos.LinearizabilityChecker.Result;
import io.zab.examples.chaos.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The checker on hand-made histories that are and are not linearizable, and on generated ones. */
class LinearizabilityCheckerTest {
    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker(1_000_000);
    private static final String K = "k";

    private static Verdict verdict(Op... ops) {
        List<Result> results = CHECKER.check(List.of(ops));
        assertEquals(1, results.size());
        return results.get(0).verdict();
    }

    private static void linearizable(Op... ops) {
        assertEquals(Verdict.LINEARIZABLE, verdict(ops), List.of(ops).toString());
    }

    private static void notLinearizable(Op... ops) {
        assertEquals(Verdict.NOT_LINEARIZABLE, verdict(ops), List.of(ops).toString());
    }

    @Test
    void sequentialWritesAndReads() {
        linearizable(Op.read(1, K, null, 0, 1), Op.write(1, K, "a", 2, 3),
                Op.read(2, K, "a", 4, 5), Op.write(2, K, "b", 6, 7), Op.read(1, K, "b", 8, 9));
        assertTrue(CHECKER.check(List.of()).isEmpty());
    }

    @Test
    void aStaleReadAfterAnAcknowledgedWriteIsCaught() {
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.write(1, K, "b", 2, 3),
                Op.read(2, K, "a", 4, 5));
    }

    @Test
    void aLostAcknowledgedWriteIsCaught() {
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.read(2, K, null, 2, 3));
    }

    @Test
    void aReadConcurrentWithAWriteMaySeeEitherValue() {
        linearizable(Op.write(1, K, "a", 0, 1), Op.write(1, K, "b", 2, 10),
                Op.read(2, K, "a", 3, 4), Op.read(2, K, "b", 5, 6), Op.read(3, K, "b", 11, 12));
        linearizable(Op.write(1, K, "a", 0, 10), Op.read(2, K, null, 1, 2));
    }

    @Test
    void aValueNeverWrittenIsCaught() {
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.read(2, K, "zzz", 2, 3));
    }

    @Test
    void valuesCannotFlipBack() {
        // Both writes overlap all three reads, yet a then b then a needs a written twice.
        notLinearizable(Op.write(1, K, "a", 0, 100), Op.write(2, K, "b", 0, 100),
                Op.read(3, K, "a", 10, 20), Op.read(3, K, "b", 30, 40),
                Op.read(3, K, "a", 50, 60));
        linearizable(Op.write(1, K, "a", 0, 100), Op.write(2, K, "b", 0, 100),
                Op.read(3, K, "a", 10, 20), Op.read(3, K, "b", 30, 40),
                Op.read(4, K, "b", 50, 60));
    }

    @Test
    void anUnknownWriteMayTakeEffectLateOrNever() {
        linearizable(Op.writeUnknown(1, K, "a", 0), Op.read(2, K, null, 5, 6),
                Op.read(2, K, "a", 100, 101), Op.read(3, K, "a", 200, 201));
        linearizable(Op.writeUnknown(1, K, "a", 0), Op.read(2, K, null, 5, 6),
                Op.read(2, K, null, 100, 101));
        // Once seen, it stays (nothing else wrote).
        notLinearizable(Op.writeUnknown(1, K, "a", 0), Op.read(2, K, "a", 5, 6),
                Op.read(2, K, null, 100, 101));
    }

    @Test
    void anUnknownWriteCannotBeSeenBeforeItWasInvoked() {
        notLinearizable(Op.read(2, K, "a", 0, 5), Op.writeUnknown(1, K, "a", 10));
    }

    @Test
    void compareAndSet() {
        linearizable(Op.write(1, K, "a", 0, 1), Op.cas(2, K, "a", "b", 2, 3),
                Op.read(1, K, "b", 4, 5));
        linearizable(Op.cas(2, K, null, "a", 0, 1), Op.read(1, K, "a", 2, 3));
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.cas(2, K, "x", "b", 2, 3));
        // A refused CAS reports the value it found, which must be the current one.
        linearizable(Op.write(1, K, "a", 0, 1), Op.casFailed(2, K, "x", "b", "a", 2, 3),
                Op.read(1, K, "a", 4, 5));
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.casFailed(2, K, "x", "b", "q", 2, 3));
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.casFailed(2, K, "a", "b", "a", 2, 3));
        // Two CAS from the same value cannot both succeed (nothing wrote it back).
        notLinearizable(Op.write(1, K, "a", 0, 1), Op.cas(2, K, "a", "b", 2, 10),
                Op.cas(3, K, "a", "c", 2, 10));
    }

    @Test
    void anUnknownCasTakesEffectOnlyFromItsExpectedValue() {
        linearizable(Op.write(1, K, "a", 0, 1), Op.casUnknown(2, K, "a", "b", 2),
                Op.read(1, K, "b", 50, 51));
        notLinearizable(Op.write(1, K, "x", 0, 1), Op.casUnknown(2, K, "a", "b", 2),
                Op.read(1, K, "b", 50, 51));
    }

    @Test
    void unknownOpsNobodyObservedArePruned() {
        Op seen = Op.writeUnknown(1, K, "a", 0);
        Op unseen = Op.writeUnknown(2, K, "b", 0);
        Op casOnSeen = Op.casUnknown(3, K, "b", "c", 0);
        Op read = Op.read(4, K, "a", 10, 11);
        Op readC = Op.read(4, K, "c", 12, 13);
        assertEquals(List.of(seen, read),
                LinearizabilityChecker.prune(List.of(seen, unseen, read)));
        // "c" is seen, so its CAS stays, and so does the write of "b" it needs.
        assertEquals(List.of(seen, unseen, casOnSeen, read, readC),
                LinearizabilityChecker.prune(List.of(seen, unseen, casOnSeen, read, readC)));
    }

    @Test
    void keysAreCheckedIndependently() {
        List<Result> r = CHECKER.check(List.of(Op.write(1, "x", "a", 0, 1),
                Op.read(1, "x", "a", 2, 3), Op.write(1, "y", "a", 0, 1),
                Op.read(1, "y", null, 2, 3)));
        assertEquals(Verdict.LINEARIZABLE, r.get(0).verdict());
        assertEquals(Verdict.NOT_LINEARIZABLE, r.get(1).verdict());
        assertEquals("y", LinearizabilityChecker.firstProblem(r).key());
        assertTrue(r.get(1).detail().contains("read -> null"), r.get(1).detail());
    }

    /**
     * A history made by a real register: each client runs ops back to back, each taking effect
     * at a random instant inside its interval; some outcomes are unknown (the client timed
     * out), and those took effect or not at random.
     */
    static List<Op> generate(long seed, int clients, int opsPerClient) {
        SplittableRandom r = new SplittableRandom(seed);
        record Planned(Op.Kind kind, int client, String value, long invoked, long completed,
                long at, boolean unknown, boolean applied) {
        }
        List<Planned> plan = new ArrayList<>();
        int unique = 0;
        for (int c = 0; c < clients; c++) {
            long t = r.nextLong(50);
            for (int i = 0; i < opsPerClient; i++) {
                long completed = t + 1 + r.nextLong(100);
                int k = r.nextInt(10);
                Op.Kind kind = k < 4 ? Op.Kind.READ : k < 7 ? Op.Kind.WRITE : Op.Kind.CAS;
                boolean unknown = kind != Op.Kind.READ && r.nextInt(15) == 0;
                // An op whose client gave up may still take effect long after.
                long at = t + r.nextLong(completed - t + 1) + (unknown ? r.nextLong(500) : 0);
                plan.add(new Planned(kind, c, "v" + ++unique, t, completed, at, unknown,
                        !unknown || r.nextBoolean()));
                t = completed + r.nextLong(30);
            }
        }
        plan.sort(Comparator.comparingLong(Planned::at));
        List<Op> out = new ArrayList<>();
        String state = null;
        String previous = null;
        for (Planned p : plan) {
            String before = state;
            switch (p.kind()) {
                case READ -> out.add(Op.read(p.client(), K, state, p.invoked(), p.completed()));
                case WRITE -> {
                    out.add(p.unknown() ? Op.writeUnknown(p.client(), K, p.value(), p.invoked())
                            : Op.write(p.client(), K, p.value(), p.invoked(), p.completed()));
                    if (p.applied()) {
                        state = p.value();
                    }
                }
                default -> {
                    String expected = r.nextBoolean() ? state : previous;
                    boolean matches = Objects.equals(state, expected);
                    if (p.unknown()) {
                        out.add(Op.casUnknown(p.client(), K, expected, p.value(), p.invoked()));
                    } else if (matches) {
                        out.add(Op.cas(p.client(), K, expected, p.value(), p.invoked(),
                                p.completed()));
                    } else {
                        out.add(Op.casFailed(p.client(), K, expected, p.value(), state,
                                p.invoked(), p.completed()));
                    }
                    if (matches && p.applied()) {
                        state = p.value();
                    }
                }
            }
            if (!Objects.equals(before, state)) {
                previous = before;
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void generatedHistoriesPassAndAStaleReadInThemIsCaught(long seed) {
        List<Op> history = generate(seed, 6, 150);
        Result ok = CHECKER.check(history).get(0);
        assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok.toString());
        assertTrue(ok.steps() < 200_000, "memoization keeps the search short: " + ok);
        List<Op> broken = withStaleRead(history);
        Result bad = CHECKER.check(broken).get(0);
        assertEquals(Verdict.NOT_LINEARIZABLE, bad.verdict(), bad.toString());
    }

    /**
     * The same history with one late read changed to return a value that two later
     * acknowledged writes had certainly overwritten before the read began.
     */
    private static List<Op> withStaleRead(List<Op> h) {
        for (int i = h.size() - 1; i >= 0; i--) {
            Op read = h.get(i);
            if (read.kind() != Op.Kind.READ) {
                continue;
            }
            for (Op w : h) {
                if (w.kind() != Op.Kind.WRITE || w.outcome() != Op.Outcome.OK
                        || w.value().equals(read.observed())) {
                    continue;
                }
                for (Op w2 : h) {
                    if (w2.kind() == Op.Kind.WRITE && w2.outcome() == Op.Outcome.OK
                            && w.completed() < w2.invoked() && w2.completed() < read.invoked()) {
                        List<Op> out = new ArrayList<>(h);
                        out.set(i, Op.read(read.client(), K, w.value(), read.invoked(),
                                read.completed()));
                        return out;
                    }
                }
            }
        }
        throw new AssertionError("no read to make stale");
    }

    @Test
    void aSearchOverItsBoundGivesUpInsteadOfPassing() {
        List<Op> history = generate(3, 8, 100);
        Result r = new LinearizabilityChecker(50).check(history).get(0);
        assertEquals(Verdict.GAVE_UP, r.verdict(), r.toString());
        assertEquals(r, LinearizabilityChecker.firstProblem(List.of(r)));
    }
}
