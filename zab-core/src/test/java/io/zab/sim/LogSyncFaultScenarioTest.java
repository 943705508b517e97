package io.zab.sim;

import static io.zab.sim.Scenarios.T;
import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.readsFor;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.syncsTo;
import static io.zab.sim.Scenarios.writeMany;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.Event;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.UpToDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DIFF from the leader's log under faults: learners far behind a short history in memory (20
 * txns, a 512-byte window, so a catch-up takes several reads) meet wiped disks, leader crashes
 * at each step of their catch-up, purges and a random mode that mixes them. Every invariant is
 * checked on every step (agreement on the committed prefix, delivery in zxid order, primary
 * order, acknowledged writes never lost) and each scenario ends with {@link Scenarios#settle}.
 */
class LogSyncFaultScenarioTest {
    private static final int HISTORY_TXNS = 20;
    private static final long WINDOW_BYTES = 512;
    /** Writes a learner misses: far more than the history holds, a few windows of the log. */
    private static final int BEHIND = 400;

    private static SimOptions options() {
        return SimOptions.defaults().historyMaxTxns(HISTORY_TXNS)
                .byteLimits(CoreConfig.HISTORY_MAX_BYTES,
                        CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES, WINDOW_BYTES);
    }

    /** Whether {@code learner} follows in broadcast and delivered all the leader committed. */
    private static boolean caughtUp(SimCluster c, int learner) {
        SimNode n = c.node(learner);
        return c.leader().isPresent() && n.isUp() && n.core().isBroadcasting()
                && n.core().lastDeliveredZxid().equals(c.leader().get().core()
                        .lastCommittedZxid());
    }

    // ---- wiped followers ----

    /**
     * A follower loses its disk and rejoins as EXISTING while the leader's log reaches back to
     * the start but its history holds only the last 20 txns. DIFF from zero would be possible
     * (every logged txn is of the leader's epoch), but only after NEWLEADER, and the blank node
     * saves the epoch on NEWLEADER and votes again while holding nothing (S26): the leader's
     * rule sends SNAP, and no read of its log for it.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aWipedFollowerRejoiningAsExistingGetsSnap(long seed) {
        SimCluster c = established(seed, options());
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        writeMany(c, leader, BEHIND);
        assertEquals(Zxid.ZERO, c.node(leader).core().logStart(), "the log reaches the start");
        c.crash(f);
        c.wipe(f);
        List<String> syncs = syncsTo(c, f);
        List<Action.ReadLog> reads = readsFor(c, 0, f);
        c.restart(f);
        assertTrue(c.node(f).abstains(), "blank and EXISTING: it abstains");
        assertTrue(c.runUntil(() -> caughtUp(c, f), T), "F caught up: " + c.states());
        assertEquals(List.of("Snap"), syncs, "SNAP, the leader's rule for an abstaining learner");
        assertTrue(reads.isEmpty(), "no read of the log for it: " + reads);
        assertFalse(c.node(f).abstains(), "synced: it votes again");
        assertEquals(leader, leaderId(c));
        settle(c);
    }

    /**
     * The same node restarted NEW after the wipe (the operator's mistake, which the protocol
     * cannot tell from a brand-new node): it does not abstain, so the leader serves it DIFF
     * from zero, every txn read from its log after NEWLEADER.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aWipedFollowerRestartedAsNewGetsDiffFromZeroOutOfTheLog(long seed) {
        SimCluster c = established(seed, options());
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        writeMany(c, leader, BEHIND);
        c.crash(f);
        c.wipe(f, false);
        List<String> syncs = syncsTo(c, f);
        List<Action.ReadLog> reads = readsFor(c, leader, f);
        c.restart(f);
        assertFalse(c.node(f).abstains());
        assertTrue(c.runUntil(() -> caughtUp(c, f), T), "F caught up: " + c.states());
        assertEquals(List.of("Diff"), syncs, "DIFF, never a snapshot");
        assertEquals(Zxid.ZERO, reads.get(0).after(), "read from zero: " + reads);
        assertTrue(reads.size() > 3 && reads.stream().allMatch(r -> r.maxBytes()
                <= WINDOW_BYTES), "in parts, each within the window: " + reads.size());
        settle(c);
    }

    /**
     * Brand-new nodes (spares, started to join) added as voters while the leader's log reaches
     * back further than its history. They get SNAP, not DIFF from zero out of the log: a
     * joiner's FOLLOWERINFO says it abstains (it may not vote yet, being no voter), and the
     * leader's rule for an abstaining learner whose missing txns only the log holds is SNAP.
     * Safe, though a joiner never acked anything a DIFF after NEWLEADER could lose (it votes
     * only once it has the change, and so everything before it): a possible saving, not a bug.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void newMembersJoiningGetSnapNotDiffFromTheLog(long seed) {
        SimCluster c = new SimCluster(seed, options().spares(2));
        assertTrue(c.runUntil(() -> c.leader().isPresent() && c.voters().stream()
                .allMatch(n -> n.core().isBroadcasting()), T), "initial leader: " + c.states());
        int leader = leaderId(c);
        writeMany(c, leader, BEHIND);
        List<String> syncs4 = syncsTo(c, 4);
        List<String> syncs5 = syncsTo(c, 5);
        List<Action.ReadLog> reads = readsFor(c, 0, 4);
        reads.addAll(readsFor(c, 0, 5));
        Map<PeerId, String> five = new TreeMap<>();
        for (int id = 1; id <= 5; id++) {
            five.put(PeerId.of(id), "");
        }
        SimRequest change = c.changeMembership(leader, new Membership(Zxid.ZERO, five,
                Map.of()), 200);
        assertTrue(c.runUntil(change::isDone, 3 * T), "change done: " + c.states());
        assertTrue(change.succeeded(), change + " " + c.states());
        assertEquals(List.of("Snap"), syncs4, "the first joiner");
        assertEquals(List.of("Snap"), syncs5, "the second joiner");
        assertTrue(reads.isEmpty(), "no read of the log for them: " + reads);
        settle(c);
    }

    /**
     * The review's case, with five voters: the leader L, F and G1 commit writes while G2 and G3
     * are down; G2 and G3 come back and are caught up from L's log, slowly (slow disks): past
     * UPTODATE they count in L's quorum but still lack those writes. F loses its disk and
     * rejoins as EXISTING; L and G1 crash right after F's UPTODATE. F, G2 and G3 are a quorum,
     * and only F can hold the writes. Served from the log after NEWLEADER, blank F would have
     * saved the epoch holding nothing and voted with G2 and G3 for one of them, losing the
     * writes (with that rule reverted, the checkers fail all three seeds); with SNAP it holds
     * them before it acks NEWLEADER, and the three elect F.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void theLeaderCrashesRightAfterAWipedFollowersUpToDate(long seed) {
        SimCluster c = established(seed, options().voters(5));
        int leader = leaderId(c);
        List<Integer> fs = followers(c, leader);
        int f = fs.get(0);
        int g1 = fs.get(1);
        List<Integer> lagging = fs.subList(2, 4);
        writeMany(c, leader, 30);
        lagging.forEach(c::crash);
        writeMany(c, leader, BEHIND);
        Zxid written = c.node(leader).core().lastCommittedZxid();
        int[] upToDate = new int[1];
        c.onEvent(0, e -> e instanceof Event.Received r && r.message() instanceof UpToDate,
                x -> upToDate[0] += lagging.contains(x.node().id()) ? 1 : 0);
        for (int g : lagging) {
            c.node(g).slowDisk(60 * SimClock.MILLIS);
            c.restart(g);
        }
        assertTrue(c.runUntil(() -> upToDate[0] == 2, T), "G2 and G3 past UPTODATE");
        c.crash(f);
        c.wipe(f);
        List<String> syncs = syncsTo(c, f);
        AtCrash[] crashed = crashLeaderAt(c, leader, f, CatchUp.AFTER_UPTODATE, null);
        boolean[] lacking = new boolean[1];
        c.onEvent(f, e -> e instanceof Event.Received r && r.message() instanceof UpToDate,
                x -> {
                    lacking[0] = lagging.stream().allMatch(g -> c.node(g).core()
                            .lastLoggedZxid().isBefore(written));
                    c.crash(g1);
                });
        c.restart(f);
        assertTrue(c.runUntil(() -> crashed[0] != null, T), "F got UPTODATE: " + syncs + "\n"
                + c.states());
        assertTrue(lacking[0], "G2 and G3 still lacked the writes: " + c.states());
        assertEquals(List.of("Snap"), syncs, "F abstains: SNAP, never the log after NEWLEADER");
        assertFalse(crashed[0].learnerLast().isBefore(written), "F held the writes: "
                + crashed[0]);
        assertTrue(c.runUntil(() -> lagging.stream().allMatch(g -> caughtUp(c, g)), 2 * T),
                c.states());
        assertEquals(f, leaderId(c), "F, the one of the three with the writes, leads");
        assertTrue(Scenarios.chainHas(c, written), "the writes survived");
        settle(c);
    }

    // ---- leader crashes during a catch-up from the log ----

    /** Where in a learner's catch-up from the log its leader crashes. */
    enum CatchUp {
        /** DIFF and NEWLEADER sent, the first read of the log asked for, not yet served. */
        BEFORE_FIRST_READ,
        /** A read that starts past half of what the learner lacks comes back. */
        MID_WAY,
        /** The learner's ACK of NEWLEADER arrives: its currentEpoch is ours, its log short. */
        AFTER_NEWLEADER,
        /** The learner got UPTODATE: it follows in broadcast, most of the log still to come. */
        AFTER_UPTODATE
    }

    /** What the learner held when its leader crashed. */
    private record AtCrash(long learnerEpoch, Zxid learnerLast, long leaderEpoch,
            Zxid leaderLast) {
        boolean learnerShort() {
            return learnerLast.isBefore(leaderLast);
        }
    }

    /**
     * Crashes {@code leader} once, at {@code at} of {@code learner}'s catch-up; {@code mid} is
     * the zxid past which a read counts as mid-way. The returned holder is filled then.
     */
    private static AtCrash[] crashLeaderAt(SimCluster c, int leader, int learner, CatchUp at,
            Zxid mid) {
        AtCrash[] seen = new AtCrash[1];
        java.util.function.Consumer<Intercepted<?>> crash = x -> {
            if (seen[0] == null && c.node(leader).isUp()) {
                SimNode l = c.node(leader);
                SimNode n = c.node(learner);
                seen[0] = new AtCrash(n.disk().epochs().currentEpoch(),
                        n.core().lastLoggedZxid(), l.core().epoch(), l.core().lastLoggedZxid());
                c.crash(leader);
            }
        };
        switch (at) {
            case BEFORE_FIRST_READ -> c.onAction(leader, a -> a instanceof Action.ReadLog r
                    && r.learner().value() == learner, crash::accept);
            case MID_WAY -> c.onEvent(leader, e -> e instanceof Event.LogRead r
                    && r.learner().value() == learner && !r.after().isBefore(mid),
                    crash::accept);
            case AFTER_NEWLEADER -> c.onEvent(leader, e -> e instanceof Event.Received r
                    && r.from().value() == learner && r.message() instanceof AckNewLeader,
                    crash::accept);
            case AFTER_UPTODATE -> c.onEvent(learner, e -> e instanceof Event.Received r
                    && r.from().value() == leader && r.message() instanceof UpToDate,
                    crash::accept);
            default -> throw new IllegalArgumentException(at.name());
        }
        return seen;
    }

    /**
     * {@code learner}, holding every txn of the first epoch, is down while the leadership moves
     * (a transfer: a new epoch) and {@link #BEHIND} txns commit; it comes back and is synced by
     * DIFF from the new leader's log, under writes, when that leader crashes at {@code at}.
     * From NEWLEADER on it has saved the new epoch while its log is short of it. The others
     * elect a leader that syncs it again; the crashed one comes back last.
     */
    private static void leaderCrashDuringCatchUp(SimCluster c, int learner, CatchUp at,
            long seed) {
        int first = leaderId(c);
        writeMany(c, first, 30);
        Zxid firstEpochEnd = c.node(first).core().lastLoggedZxid();
        assertTrue(c.runUntil(() -> c.node(learner).disk().durableLastZxid()
                .equals(firstEpochEnd), T), "the learner holds the first epoch: " + c.states());
        c.crash(learner);
        int leader = moveLeadership(c, first, learner);
        long epochBefore = c.node(learner).disk().epochs().currentEpoch();
        writeMany(c, leader, BEHIND);
        Zxid last = c.node(leader).core().lastLoggedZxid();
        Zxid mid = new Zxid(last.epoch(), last.counter() - BEHIND / 2);
        List<String> syncs = syncsTo(c, learner);
        List<Action.ReadLog> reads = readsFor(c, leader, learner);
        AtCrash[] crashed = crashLeaderAt(c, leader, learner, at, mid);
        c.restart(learner);
        Scenarios.writeFor(c, new SplittableRandom(seed), 600, 20);
        assertTrue(crashed[0] != null, "the leader crashed at " + at + ": " + syncs + " "
                + reads.size() + " reads\n" + c.states());
        AtCrash x = crashed[0];
        assertEquals("Diff", syncs.get(0), "the catch-up was a DIFF: " + syncs);
        assertTrue(x.learnerShort(), "the learner still lacked txns: " + x);
        assertTrue(epochBefore < x.leaderEpoch(), "the learner came back from an older epoch");
        if (at == CatchUp.AFTER_NEWLEADER || at == CatchUp.AFTER_UPTODATE) {
            assertEquals(x.leaderEpoch(), x.learnerEpoch(), "its currentEpoch was the"
                    + " leader's, its log short: " + x);
        }
        if (at == CatchUp.BEFORE_FIRST_READ || at == CatchUp.MID_WAY) {
            // Later points may come before the first read: a slow disk queues it behind fsyncs.
            assertTrue(at == CatchUp.BEFORE_FIRST_READ ? reads.size() == 1 : reads.size() > 1,
                    "reads of the log before the crash: " + reads);
        }
        assertTrue(c.runUntil(() -> caughtUp(c, learner), 2 * T),
                "a new leader synced the learner: " + syncs + "\n" + c.states());
        assertTrue(leaderId(c) != leader, "a new leader");
        assertTrue(syncs.size() >= 2, "synced again by the new leader: " + syncs);
        settle(c);
    }

    /** Hands the leadership from {@code leader} to a voter not among {@code not}. */
    private static int moveLeadership(SimCluster c, int leader, Integer... not) {
        List<Integer> excluded = List.of(not);
        int target = followers(c, leader).stream().filter(id -> !excluded.contains(id))
                .findFirst().orElseThrow();
        SimRequest t = c.transfer(leader, target, 50);
        assertTrue(c.runUntil(() -> t.isDone() && c.leader().isPresent(), T), "transfer: "
                + c.states());
        assertTrue(t.succeeded(), t + " " + c.states());
        assertEquals(target, leaderId(c));
        return target;
    }

    static List<Arguments> crashPoints() {
        List<Arguments> out = new ArrayList<>();
        for (int voters : new int[] {3, 5}) {
            for (CatchUp at : CatchUp.values()) {
                out.add(Arguments.of(at, voters, 10L * voters + at.ordinal()));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} with {1} voters, seed {2}")
    @MethodSource("crashPoints")
    void theLeaderCrashesDuringAFollowersCatchUpFromTheLog(CatchUp at, int voters, long seed) {
        SimCluster c = established(seed, options().voters(voters));
        int f = followers(c, leaderId(c)).get(voters - 2);
        leaderCrashDuringCatchUp(c, f, at, seed);
    }

    /** An observer catching up from the log (it gets committed txns only) loses its leader. */
    @ParameterizedTest
    @EnumSource(value = CatchUp.class, names = {"MID_WAY", "AFTER_UPTODATE"})
    void theLeaderCrashesDuringAnObserversCatchUpFromTheLog(CatchUp at) {
        SimCluster c = established(7 + at.ordinal(), options().observers(1));
        leaderCrashDuringCatchUp(c, 4, at, 7);
    }

    /**
     * A slow disk: every fsync takes 30 ms on the learner (its ACKs, and so its window, lag
     * behind the reads) or on the leader (its reads wait behind its fsyncs).
     */
    @ParameterizedTest(name = "{0}, slow disk on the {1}")
    @CsvSource({"MID_WAY, learner", "MID_WAY, leader", "AFTER_NEWLEADER, learner",
            "AFTER_UPTODATE, leader"})
    void theLeaderCrashesDuringACatchUpOnASlowDisk(CatchUp at, String slow) {
        SimCluster c = established(21 + at.ordinal(), options());
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        c.node(slow.equals("leader") ? leader : f).slowDisk(30 * SimClock.MILLIS);
        leaderCrashDuringCatchUp(c, f, at, 21);
    }

    /**
     * Five voters, two of them back from an older epoch and both past UPTODATE of a catch-up
     * from the log (their currentEpoch is the leader's, their logs short), when the leader and
     * one up-to-date follower crash together. The three left are a quorum: the one up-to-date
     * voter and the two short ones. It must lead, since it alone holds what the leader
     * committed meanwhile with the two that crashed; the short ones get it from it.
     */
    @ParameterizedTest
    @ValueSource(longs = {41, 42, 43})
    void twoShortLearnersAndOneUpToDateVoterElectTheUpToDateOne(long seed) {
        SimCluster c = established(seed, options().voters(5));
        int first = leaderId(c);
        List<Integer> fs = followers(c, first);
        int f1 = fs.get(2);
        int f2 = fs.get(3);
        writeMany(c, first, 30);
        Zxid end = c.node(first).core().lastLoggedZxid();
        assertTrue(c.runUntil(() -> c.node(f1).disk().durableLastZxid().equals(end)
                && c.node(f2).disk().durableLastZxid().equals(end), T), c.states());
        c.crash(f1);
        c.crash(f2);
        int leader = moveLeadership(c, first, f1, f2);
        int survivor = followers(c, leader).stream().filter(id -> id != first && id != f1
                && id != f2).findFirst().orElseThrow();
        writeMany(c, leader, BEHIND);
        List<String> syncs = syncsTo(c, f1);
        int[] upToDate = new int[1];
        c.onEvent(0, e -> e instanceof Event.Received r && r.from().value() == leader
                && r.message() instanceof UpToDate, x -> {
                    int at = x.node().id();
                    if ((at == f1 || at == f2) && ++upToDate[0] == 2) {
                        c.crash(leader);
                        c.crash(first);
                    }
                });
        c.restart(f1);
        c.restart(f2);
        Scenarios.writeFor(c, new SplittableRandom(seed), 600, 10);
        assertEquals(2, upToDate[0], "both short learners got UPTODATE: " + c.states());
        assertEquals("Diff", syncs.get(0), "from the log: " + syncs);
        assertTrue(c.runUntil(() -> caughtUp(c, f1) && caughtUp(c, f2), 2 * T), c.states());
        assertEquals(survivor, leaderId(c), "the up-to-date voter leads");
        settle(c);
    }

    // ---- purges, then a leader crash ----

    /**
     * Every node snapshots every 40 txns and purges its log, under writes, with a follower down
     * the whole time; the leader crashes at its third purge, before it takes effect (the
     * snapshot is saved, the log not yet cut) or right after. The other follower and the one
     * that comes back elect a leader whose log starts at its own newest snapshot; the old
     * leader restarts from its snapshot and log, and is synced like any follower.
     */
    @ParameterizedTest(name = "seed {0}, crash after the purge: {1}")
    @CsvSource({"1, false", "2, true", "3, false", "4, true"})
    void theLeaderCrashesAtAPurgeUnderWrites(long seed, boolean afterPurge) {
        SimCluster c = established(seed, options().snapshotEveryTxns(40));
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        writeMany(c, leader, 30);
        c.crash(f);
        int[] purges = new int[1];
        c.onAction(leader, a -> a instanceof Action.PurgeLog, x -> {
            if (++purges[0] == 3) {
                if (afterPurge) {
                    c.clock().after(SimClock.MILLIS, () -> c.crash(leader));
                } else {
                    c.crash(leader);
                }
            }
        });
        SplittableRandom r = new SplittableRandom(seed);
        Scenarios.writeFor(c, r, 3_000, 5);
        assertFalse(c.node(leader).isUp(), "the leader crashed at its third purge");
        c.restart(f);
        Scenarios.writeFor(c, r, 1_000, 10);
        assertTrue(c.runUntil(() -> caughtUp(c, f), T), "F caught up: " + c.states());
        assertTrue(leaderId(c) != leader, "a new leader");
        assertTrue(c.leader().get().core().logStart().isAfter(Zxid.ZERO),
                "the new leader purged its log too");
        settle(c);
    }

    /**
     * A follower far behind is being synced from the log when the leader starts to snapshot
     * and purge under writes; the leader crashes at the first purge that cuts the log under
     * the follower (before it takes effect) or right after. The next leader syncs the
     * follower, whatever it got.
     */
    @ParameterizedTest(name = "seed {0}, {1} voters, crash after the purge: {2}")
    @CsvSource({"1, 3, false", "2, 3, true", "3, 5, false", "4, 5, true"})
    void theLeaderCrashesAtAPurgeUnderACatchUp(long seed, int voters, boolean afterPurge) {
        SimCluster c = established(seed, options().voters(voters));
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        c.crash(f);
        writeMany(c, leader, BEHIND);
        List<String> syncs = syncsTo(c, f);
        List<Action.ReadLog> reads = readsFor(c, leader, f);
        c.onAction(leader, a -> reads.size() == 1 && a instanceof Action.ReadLog, x ->
                c.node(leader).snapshotEveryTxns(15));
        Zxid[] cut = new Zxid[1];
        c.onAction(leader, a -> cut[0] == null && a instanceof Action.PurgeLog p
                && p.upTo().isAfter(c.node(f).core().lastLoggedZxid()), x -> {
                    cut[0] = ((Action.PurgeLog) x.item()).upTo();
                    if (afterPurge) {
                        c.clock().after(SimClock.MILLIS, () -> c.crash(leader));
                    } else {
                        c.crash(leader);
                    }
                });
        c.restart(f);
        SplittableRandom r = new SplittableRandom(seed);
        Scenarios.writeFor(c, r, 1_500, 3);
        assertTrue(cut[0] != null, "a purge passed the follower: " + reads.size() + " reads "
                + syncs + "\n" + c.states());
        assertFalse(c.node(leader).isUp());
        assertEquals("Diff", syncs.get(0), "a DIFF from the log first: " + syncs);
        assertTrue(c.runUntil(() -> caughtUp(c, f), 2 * T), "F caught up: " + syncs + "\n"
                + c.states());
        assertTrue(leaderId(c) != leader, "a new leader");
        settle(c);
    }

    // ---- random ----

    private static final String REPLAY = "mvn -pl zab-core test"
            + " -Dtest=LogSyncFaultScenarioTest#randomSeedsWithCatchUpFaults"
            + " -Dsim.logSyncSeeds=1 -Dsim.firstSeed=";

    /**
     * {@link RandomRun#runLogSync}: short histories, wipes and leader crashes at the steps of
     * catch-ups from the log, amid the usual faults. {@code sim.logSyncSeeds} seeds (default
     * 30) from {@code sim.firstSeed}, each {@code sim.runMillis} of virtual time (default 60 s).
     */
    @Test
    void randomSeedsWithCatchUpFaults() throws InterruptedException {
        SeedRunner.run(" with catch-up faults", Integer.getInteger("sim.logSyncSeeds", 30),
                60_000, RandomRun::runLogSync, REPLAY);
    }
}
