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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
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
}
