package io.zab.sim;

import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.settle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Overload is not a fault (issue 12): with every resource bounded (pending budget at the edge,
 * in-flight budget and history in bytes, per-learner windows), load far beyond capacity and a
 * slow disk cost no leader, every request ends committed or refused as never applied, and no
 * queue grows past what the limits allow. Samples every simulated millisecond.
 */
class OverloadScenarioTest {
    private static final int TXN = 200;
    private static final long WINDOW = 4 << 10;
    private static final long INFLIGHT = 16 << 10;
    private static final int INFLIGHT_TXNS = 64;
    private static final int PENDING = 300;
    private static final int WAIT_TICKS = 5;

    private static SimOptions bounded(long historyBytes) {
        return SimOptions.defaults().maxTxnBytes(256).proposalsInflightMax(INFLIGHT_TXNS)
                .byteLimits(historyBytes, INFLIGHT, WINDOW).requestWaitTicks(WAIT_TICKS)
                .pendingMaxTxns(PENDING).slowMessageProbability(0);
    }

    /**
     * Every node takes 20 writes per simulated millisecond for 1.5 s (about 15 times the 4,000
     * writes/s that the in-flight budget lets through with 3-5 ms fsyncs; most are refused at
     * the nodes' pending budgets): the leader and its epoch never change,
     * no request ends OutcomeUnknown, what was refused is never applied (the checkers), and the
     * queues stay within the budgets.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aStormAtEveryNodeCostsNoLeaderAndEveryRequestEndsCleanly(long seed) {
        SimCluster c = established(seed, bounded(256 << 10));
        for (SimNode n : c.nodes()) {
            n.slowDisk(2_000 + 1_000 * n.id());
        }
        int leader = leaderId(c);
        long epoch = c.node(leader).core().epoch();
        long leadersBefore = c.stats().leaders;
        List<SimRequest> requests = new ArrayList<>();
        Peaks peaks = new Peaks();
        for (int ms = 0; ms < 1_500; ms++) {
            for (SimNode n : c.nodes()) {
                for (int i = 0; i < 20; i++) {
                    requests.add(c.submitGenerated(n.id(), TXN - 12));
                }
            }
            c.runFor(1);
            peaks.sample(c, leader, epoch);
        }
        assertTrue(c.runUntil(() -> allAnswered(c), 10_000), "every request answered: "
                + c.states());
        long ok = requests.stream().filter(SimRequest::succeeded).count();
        long unknown = requests.stream().filter(r -> r.outcome() != null
                && r.outcome().kind() == Outcome.Kind.OUTCOME_UNKNOWN).count();
        long refused = requests.stream().filter(r -> r.outcome() != null
                && r.outcome().kind() == Outcome.Kind.OVERLOADED).count();
        System.out.printf("overload seed %d: %d offered, %d committed, %d refused overloaded,"
                + " %d unknown; peaks: leader log queue %d, leader delivery queue %d, follower"
                + " log queue %d, history %d bytes%n", seed, requests.size(), ok, refused,
                unknown, peaks.leaderLog, peaks.leaderDelivery, peaks.followerLog,
                peaks.history);
        assertEquals(0, unknown, "no OutcomeUnknown without a fault");
        assertEquals(requests.size(), ok + refused, "committed or refused as overloaded");
        assertTrue(ok > 3_000, "the ensemble kept committing: " + ok);
        assertTrue(refused > requests.size() / 2, "the storm was beyond capacity: " + refused);
        assertEquals(leadersBefore, c.stats().leaders, "no new leader");
        assertEquals(leader, leaderId(c));
        for (SimNode n : c.nodes()) {
            n.slowDisk(0);
        }
        settle(c);
    }

    /**
     * One follower's fsync takes 50 ms. Its window holds it back (its log queue never exceeds
     * one window) while the leader and the fast follower commit every write offered; it lags
     * behind inside the leader's history, is never dropped, and catches up once its disk is
     * fast again.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aSlowFollowerLagsInsideItsWindowAndCatchesUp(long seed) {
        SimCluster c = established(seed, bounded(16 << 20));
        int leader = leaderId(c);
        SimNode slow = c.node(followers(c, leader).get(0));
        slow.slowDisk(50_000);
        long[] maxLag = {0};
        long ok = steadyLoad(c, leader, () -> {
            assertTrue(slow.core().isBroadcasting(), "the slow follower is never dropped");
            assertTrue(slow.storageQueueBytes() <= WINDOW + TXN, "slow follower's queue "
                    + slow.storageQueueBytes() + " bytes is within its window");
            maxLag[0] = Math.max(maxLag[0], c.node(leader).core().lastLoggedZxid().counter()
                    - slow.core().lastLoggedZxid().counter());
        });
        System.out.printf("slow follower seed %d: %d committed, slow follower lagged up to %d"
                + " txns%n", seed, ok, maxLag[0]);
        assertTrue(maxLag[0] > 1_000, "the slow follower fell behind: " + maxLag[0]);
        slow.slowDisk(0);
        assertTrue(c.runUntil(() -> slow.core().lastLoggedZxid().equals(
                c.node(leader).core().lastLoggedZxid()), 10_000), "caught up: " + c.states());
        assertEquals(leader, leaderId(c));
        settle(c);
    }

    /**
     * One follower's state machine takes 20 ms per delivery action. It acks only while what it
     * holds unapplied fits the in-flight budget, so it becomes a slow follower (held back by its
     * window) instead of queueing committed txns without bound; the others commit every write.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void aFollowerWithASlowStateMachineHoldsOnlyItsBudgetUnapplied(long seed) {
        SimCluster c = established(seed, bounded(16 << 20));
        int leader = leaderId(c);
        SimNode slow = c.node(followers(c, leader).get(0));
        slow.slowStateMachine(20_000);
        long[] peakUnapplied = {0};
        long ok = steadyLoad(c, leader, () -> {
            long unapplied = slow.core().unappliedBytes();
            peakUnapplied[0] = Math.max(peakUnapplied[0], unapplied);
            assertTrue(unapplied <= INFLIGHT + WINDOW + TXN, "the slow state machine's node"
                    + " holds " + unapplied + " bytes unapplied");
        });
        System.out.printf("slow state machine seed %d: %d committed, peak unapplied on the slow"
                + " node %d bytes%n", seed, ok, peakUnapplied[0]);
        assertTrue(peakUnapplied[0] > INFLIGHT / 2, "the state machine did fall behind: "
                + peakUnapplied[0]);
        slow.slowStateMachine(0);
        assertEquals(leader, leaderId(c));
        settle(c);
    }

    /**
     * Three simulated seconds of two writes per millisecond, through the leader and the other
     * follower, with the leader and queue checks and {@code check} every millisecond; every
     * write must commit (the fast quorum carries them). Returns how many did.
     */
    private static long steadyLoad(SimCluster c, int leader, Runnable check) {
        long epoch = c.node(leader).core().epoch();
        int fast = followers(c, leader).get(1);
        List<SimRequest> requests = new ArrayList<>();
        Peaks peaks = new Peaks();
        for (int ms = 0; ms < 3_000; ms++) {
            requests.add(c.submitGenerated(leader, TXN - 12));
            requests.add(c.submitGenerated(fast, TXN - 12));
            c.runFor(1);
            peaks.sample(c, leader, epoch);
            check.run();
        }
        assertTrue(c.runUntil(() -> allAnswered(c), 10_000), "every request answered: "
                + c.states());
        long ok = requests.stream().filter(SimRequest::succeeded).count();
        assertEquals(requests.size(), ok, "the fast quorum committed every write");
        return ok;
    }

    private static boolean allAnswered(SimCluster c) {
        for (SimNode n : c.nodes()) {
            if (!n.pending.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The largest queues seen, checked against the limits at every sample. */
    private static final class Peaks {
        long leaderLog;
        long leaderDelivery;
        long followerLog;
        long history;

        void sample(SimCluster c, int leader, long epoch) {
            SimNode l = c.node(leader);
            assertTrue(l.isUp() && l.core().isBroadcasting() && l.core().epoch() == epoch,
                    "the leader stays: " + c.states());
            leaderLog = Math.max(leaderLog, l.storageQueueBytes());
            leaderDelivery = Math.max(leaderDelivery, l.deliveryQueueBytes());
            history = Math.max(history, l.core().historyBytes());
            assertTrue(l.storageQueueBytes() <= INFLIGHT + TXN, "leader log queue "
                    + l.storageQueueBytes());
            assertTrue(l.deliveryQueueBytes() <= INFLIGHT + TXN, "leader delivery queue "
                    + l.deliveryQueueBytes());
            for (SimNode n : c.nodes()) {
                if (n.id() != leader) {
                    followerLog = Math.max(followerLog, n.storageQueueBytes());
                    assertTrue(n.storageQueueBytes() <= WINDOW + TXN, "node " + n.id()
                            + " log queue " + n.storageQueueBytes() + " beyond its window");
                }
            }
        }
    }
}
