package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.Txn;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The named fault schedules of RELIABILITY.md that reproduce ZooKeeper bugs, each scripted on
 * the simulator (every invariant checker runs on every step as well). Seeds only vary latencies.
 */
class ScenarioTest {
    private static final long T = 10_000;

    private static SimCluster cluster(long seed, SimOptions o) {
        SimCluster c = new SimCluster(seed, o);
        assertTrue(c.runUntil(() -> c.leader().isPresent()
                && c.nodes().stream().allMatch(n -> !n.isUp()
                        || n.core().isBroadcasting()), T), "initial leader: " + c.states());
        return c;
    }

    private static int leaderId(SimCluster c) {
        return c.leader().orElseThrow().id();
    }

    /** Writes through {@code node} until one write is acknowledged; returns it. */
    private static SimRequest write(SimCluster c, int node) {
        for (int attempt = 0; attempt < 20; attempt++) {
            SimRequest r = c.submit(node);
            c.runUntil(r::isDone, T);
            if (r.succeeded()) {
                return r;
            }
            c.runFor(500);
        }
        throw new AssertionError("no write acknowledged through " + node + "\n" + c.states());
    }

    private static boolean sends(Action a, Class<?> message) {
        return a instanceof Send s && message.isInstance(s.message());
    }

    private static void settle(SimCluster c) {
        c.heal();
        for (SimNode n : c.nodes()) {
            if (!n.isUp()) {
                c.restart(n.id());
            }
        }
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "liveness: " + c.states());
        write(c, leaderId(c));
        assertTrue(c.runUntil(c::converged, T), "convergence: " + c.convergenceProblem());
        c.checkInvariants();
        c.guard(c.checkers()::checkAcknowledgedWritesEverywhere);
    }

    private static boolean chainHas(SimCluster c, Zxid zxid) {
        for (int i = 1; i <= c.checkers().chainLength(); i++) {
            if (c.checkers().chainAt(i).equals(zxid)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Logs one proposal only on the leader (its sends of that proposal are dropped) and
     * returns the zxid once it is durable there.
     */
    private static Zxid orphanOnLeader(SimCluster c) {
        int leader = leaderId(c);
        Hook<Action> drop = c.onAction(leader, a -> sends(a, Proposal.class),
                Intercepted::drop);
        SimRequest r = c.submit(leader);
        Zxid[] orphan = new Zxid[1];
        assertTrue(c.runUntil(() -> {
            SimNode n = c.node(leader);
            Zxid last = n.core().lastLoggedZxid();
            if (last.isAfter(c.checkers().chainTip()) && n.disk().durablyHolds(last)) {
                orphan[0] = last;
                return true;
            }
            return false;
        }, T), "orphan logged");
        drop.remove();
        assertFalse(r.succeeded());
        return orphan[0];
    }

    /** S06, ZOOKEEPER-1154: a txn only the old leader logged is truncated, never delivered. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void s06HighestZxidAbsentIsTruncated(long seed) {
        SimCluster c = cluster(seed, SimOptions.defaults());
        int a = leaderId(c);
        for (int i = 0; i < 5; i++) {
            write(c, a);
        }
        Zxid orphan = orphanOnLeader(c);
        for (SimNode n : c.nodes()) {
            c.crash(n.id());
        }
        List<Integer> others = new ArrayList<>();
        for (SimNode n : c.nodes()) {
            if (n.id() != a) {
                others.add(n.id());
                c.restart(n.id());
            }
        }
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T));
        write(c, others.get(0));
        List<Action> truncs = new ArrayList<>();
        c.onAction(0, x -> sends(x, Trunc.class) && ((Send) x).to().value() == a,
                x -> truncs.add(x.item()));
        c.restart(a);
        settle(c);
        assertEquals(1, truncs.size(), "the old leader was sent TRUNC");
        assertFalse(c.node(a).disk().durablyHolds(orphan), "orphan " + orphan + " cut");
        assertFalse(chainHas(c, orphan), "orphan " + orphan + " never delivered");
    }

    /**
     * S07, ZOOKEEPER-2832: B logs a txn A misses (epoch 1); A and C form epoch 2; B and C form
     * epoch 3. B's uncommitted txn must be truncated everywhere.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void s07UncommittedTxnAcrossThreeEpochs(long seed) {
        SimCluster c = new SimCluster(seed, SimOptions.defaults());
        c.crash(3);
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T));
        int b = leaderId(c);
        int a = b == 1 ? 2 : 1;
        write(c, a);
        Zxid orphan = orphanOnLeader(c);
        c.crash(a);
        c.crash(b);
        c.restart(a);
        c.restart(3);
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "A and C elect");
        write(c, 3);
        c.crash(a);
        c.restart(b);
        assertTrue(c.runUntil(() -> c.leader().isPresent()
                && c.node(b).core().isBroadcasting(), T), "B and C elect");
        write(c, b);
        settle(c);
        for (SimNode n : c.nodes()) {
            assertFalse(n.disk().durablyHolds(orphan), "node " + n.id() + " cut " + orphan);
        }
        assertFalse(chainHas(c, orphan));
    }

    /**
     * S01, ZOOKEEPER-3911/3023/4646: a lagging follower gets a DIFF and crashes at the moment it
     * would ACK NEWLEADER; the leader crashes too. The acknowledged txn survives.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s01AckNewLeaderNeverBeforeTheDiffIsDurable(long seed) {
        SimCluster c = cluster(seed, SimOptions.defaults());
        int leader = leaderId(c);
        int f1 = leader == 1 ? 2 : 1;
        c.crash(f1);
        SimRequest acked = write(c, leader);
        Hook<Action> crashAtAck = c.onAction(f1, a -> sends(a, AckNewLeader.class),
                x -> c.crash(f1));
        c.restart(f1);
        assertTrue(c.runUntil(() -> crashAtAck.fired() > 0, T), "F1 reached its NEWLEADER ack");
        crashAtAck.remove();
        c.crash(leader);
        c.restart(f1);
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "F1 and F2 elect");
        settle(c);
        assertTrue(chainHas(c, acked.zxid()), "acknowledged " + acked.zxid() + " survives");
    }

    /**
     * S02, ZOOKEEPER-4643/4785: the follower crashes right as it asks to make currentEpoch
     * durable, after the DIFF txns were handed to its disk. Whatever survived, it must not win
     * an election while missing committed txns.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void s02CurrentEpochNeverDurableBeforeTheTxns(long seed) {
        SimCluster c = cluster(seed, SimOptions.defaults());
        int leader = leaderId(c);
        int s0 = leader == 1 ? 2 : 1;
        c.crash(s0);
        SimRequest acked = write(c, leader);
        long epochBefore = c.node(s0).disk().epochs().currentEpoch();
        // A new epoch, with S0 one txn behind: restart the leader, then S0.
        c.crash(leader);
        c.restart(leader);
        Hook<Action> crashAtEpoch = c.onAction(s0, a -> a instanceof Action.SaveEpoch e
                && e.currentEpoch() == e.acceptedEpoch(), x -> c.crash(s0));
        c.restart(s0);
        assertTrue(c.runUntil(() -> crashAtEpoch.fired() > 0, T), c.states());
        crashAtEpoch.remove();
        SimNode n = c.node(s0);
        assertTrue(n.disk().epochs().currentEpoch() == epochBefore
                || n.disk().durablyHolds(acked.zxid()), "epoch durable only with the txns");
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "the others establish");
        c.crash(leaderId(c));
        c.restart(s0);
        settle(c);
        assertTrue(chainHas(c, acked.zxid()), "acknowledged " + acked.zxid() + " survives");
    }

    /** S09: a quorum acked, the leader crashed before any COMMIT; the next leader commits it. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void s09CrashAfterQuorumBeforeCommit(long seed) {
        SimCluster c = cluster(seed, SimOptions.defaults());
        int leader = leaderId(c);
        write(c, leader);
        Hook<Action> crashAtCommit = c.onAction(leader, a -> sends(a, Commit.class),
                x -> c.crash(leader));
        SimRequest r = c.submit(leader);
        assertTrue(c.runUntil(() -> crashAtCommit.fired() > 0, T));
        crashAtCommit.remove();
        assertFalse(r.succeeded(), "the client never heard back: " + r);
        Zxid zxid = null;
        for (SimNode n : c.nodes()) {
            if (n.isUp()) {
                zxid = n.core().lastLoggedZxid();
            }
        }
        assertNotNull(zxid);
        settle(c);
        assertTrue(chainHas(c, zxid), "the quorum-held txn " + zxid + " was committed");
    }

    /**
     * S19, ZOOKEEPER-1277: a leader whose zxid counter runs out steps down; the next epoch
     * starts at counter 1; the leader crashes in the middle; order holds across the bump.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void s19ZxidCounterRollover(long seed) {
        SimCluster c = cluster(seed, SimOptions.defaults().zxidCounterMax(10));
        List<SimRequest> acked = new ArrayList<>();
        Hook<Action> crashOnRollover = c.onAction(0, a -> a instanceof Action.RoleChanged r
                && r.role() == Role.LOOKING, x -> {
                    if (x.node().core().role() == Role.LEADING) {
                        c.crash(x.node().id());
                    }
                });
        for (int i = 0; i < 32; i++) {
            int node = c.leader().map(SimNode::id).orElse(1);
            if (!c.node(node).isUp()) {
                c.restart(node);
            }
            acked.add(write(c, c.runUntil(() -> c.leader().isPresent(), T)
                    ? leaderId(c) : node));
            if (crashOnRollover.fired() > 0) {
                crashOnRollover.remove();
                for (SimNode n : c.nodes()) {
                    if (!n.isUp()) {
                        c.restart(n.id());
                    }
                }
            }
        }
        settle(c);
        long epochs = acked.stream().map(r -> r.zxid().epoch()).distinct().count();
        assertTrue(epochs >= 3, "32 writes at 10 per epoch span several epochs: " + epochs);
        for (SimRequest r : acked) {
            assertTrue(r.zxid().counter() <= 10, "counter within the limit: " + r.zxid());
            assertTrue(chainHas(c, r.zxid()));
        }
        for (int i = 2; i <= c.checkers().chainLength(); i++) {
            assertTrue(c.checkers().chainAt(i - 1).isFollowedBy(c.checkers().chainAt(i)),
                    "gapless across the epoch bumps at " + i);
        }
    }

    @Test
    void scenarioHelpersSeeTheirTarget() {
        SimCluster c = cluster(9, SimOptions.defaults());
        Zxid orphan = orphanOnLeader(c);
        assertTrue(c.node(leaderId(c)).disk().durablyHolds(orphan));
        assertFalse(chainHas(c, orphan));
        assertTrue(Set.of(1, 2, 3).contains(leaderId(c)));
        assertTrue(new Txn(orphan, new byte[0]).zxid().equals(orphan));
    }
}
