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
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Action;
import io.zab.protocol.Event;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DIFF served from the leader's log: the leader keeps only 50 txns in memory, a follower is
 * down while thousands commit, and it comes back. It must be synced by DIFF, the older part
 * read from the leader's log in bounded reads within its window, and end equal to the others
 * (every invariant checked on every step, then {@link Scenarios#settle}). Variants: writes go on
 * while it catches up; the leader's log is purged under it (it is dropped and gets SNAP); a
 * read fails (it is dropped and syncs again).
 */
class LogSyncScenarioTest {
    private static final int HISTORY_TXNS = 50;

    /** How many txns the leader's log returned for {@code learner}, counted as they arrive. */
    private static long[] countRead(SimCluster c, int leader, int learner) {
        long[] txns = new long[1];
        c.onEvent(leader, e -> e instanceof Event.LogRead r && r.learner().value() == learner,
                x -> txns[0] += ((Event.LogRead) x.item()).txns().size());
        return txns;
    }

    private static SimCluster cluster(long seed, long windowBytes) {
        return established(seed, SimOptions.defaults().historyMaxTxns(HISTORY_TXNS)
                .byteLimits(io.zab.protocol.CoreConfig.HISTORY_MAX_BYTES,
                        io.zab.protocol.CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES, windowBytes));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void aFollowerDownWhileThousandsCommitIsSyncedByDiffFromTheLog(long seed) {
        long window = 2 << 10;
        SimCluster c = cluster(seed, window);
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        c.crash(f);
        writeMany(c, leader, 3_000);
        List<String> syncs = syncsTo(c, f);
        List<Action.ReadLog> reads = readsFor(c, leader, f);
        long[] readTxns = countRead(c, leader, f);
        c.restart(f);
        SimNode fn = c.node(f);
        SimNode ln = c.node(leader);
        assertTrue(c.runUntil(() -> fn.core().isBroadcasting()
                && fn.core().lastDeliveredZxid().equals(ln.core().lastCommittedZxid()), T),
                "F caught up: " + c.states());
        assertEquals(List.of("Diff"), syncs, "synced by DIFF, never a snapshot");
        assertTrue(readTxns[0] >= 3_000 - HISTORY_TXNS, "all but the last txns came from the"
                + " log: " + readTxns[0]);
        assertTrue(reads.size() > 10 && reads.stream().allMatch(r -> r.maxBytes() <= window),
                "the log was read in parts, each within the window: " + reads.size());
        assertEquals(leader, leaderId(c), "the same leader throughout");
        settle(c);
    }

    /** Proposals committed while the log part streams reach the follower after it. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void writesGoOnWhileTheFollowerCatchesUpFromTheLog(long seed) {
        SimCluster c = cluster(seed, 2 << 10);
        int leader = leaderId(c);
        int f = followers(c, leader).get(1);
        c.crash(f);
        writeMany(c, leader, 2_000);
        List<String> syncs = syncsTo(c, f);
        c.restart(f);
        SplittableRandom r = new SplittableRandom(seed);
        Scenarios.writeFor(c, r, 3_000, 5);
        SimNode fn = c.node(f);
        assertTrue(c.runUntil(() -> fn.core().isBroadcasting()
                && fn.core().lastDeliveredZxid().equals(c.node(leader).core()
                        .lastCommittedZxid()), T), "F caught up: " + c.states());
        assertEquals(List.of("Diff"), syncs, "one DIFF, however long it took");
        settle(c);
    }

    /**
     * The leader snapshots and purges its log while the follower still reads it: the follower
     * falls behind what the log holds, is dropped, and resyncs by SNAP.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aLogPurgedUnderTheFollowerMakesItResyncBySnap(long seed) {
        SimCluster c = cluster(seed, 512);
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        c.crash(f);
        writeMany(c, leader, 1_000);
        List<String> syncs = syncsTo(c, f);
        boolean[] purging = new boolean[1];
        c.onAction(leader, a -> !purging[0] && a instanceof Action.ReadLog, x -> {
            purging[0] = true;
            c.node(leader).snapshotEveryTxns(1);
        });
        c.restart(f);
        Scenarios.writeFor(c, new SplittableRandom(seed), 1_000, 20);
        assertTrue(c.runUntil(() -> syncs.contains("Snap"), T), "F resynced by SNAP: " + syncs
                + "\n" + c.states());
        assertEquals("Diff", syncs.get(0), "a DIFF from the log first: " + syncs);
        settle(c);
    }

    /** A read that fails drops the follower; it syncs again (by DIFF: the log still has it). */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aFailedReadDropsTheFollowerAndItSyncsAgain(long seed) {
        SimCluster c = cluster(seed, 4 << 10);
        int leader = leaderId(c);
        int f = followers(c, leader).get(0);
        c.crash(f);
        writeMany(c, leader, 1_000);
        List<String> syncs = syncsTo(c, f);
        int[] dropped = new int[1];
        c.onAction(leader, a -> dropped[0] == 0 && a instanceof Action.ReadLog r
                && r.learner().value() == f, x -> {
                    dropped[0]++;
                    x.drop(); // an unreadable disk: the read fails
                });
        c.restart(f);
        SimNode fn = c.node(f);
        assertTrue(c.runUntil(() -> syncs.size() >= 2 && fn.core().isBroadcasting()
                && fn.core().lastDeliveredZxid().equals(c.node(leader).core()
                        .lastCommittedZxid()), 3 * T), "F synced again: " + syncs + "\n"
                + c.states());
        assertEquals(1, dropped[0]);
        assertEquals(List.of("Diff", "Diff"), syncs.subList(0, 2));
        settle(c);
    }
}
