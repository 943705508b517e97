package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Action;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.Deliver;
import io.zab.protocol.Action.Send;
import io.zab.protocol.message.AckNewLeader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The scripting API on small scenarios, and the checkers' teeth: faults injected through hooks
 * that break a promise of the core must be caught under the right invariant's name.
 */
class SimClusterTest {
    private static SimCluster established(long seed, SimOptions options) {
        SimCluster c = new SimCluster(seed, options);
        assertTrue(c.runUntil(() -> c.leader().isPresent() && allBroadcasting(c), 10_000),
                "a leader within 10 s\n" + c.states());
        return c;
    }

    private static boolean allBroadcasting(SimCluster c) {
        for (SimNode n : c.nodes()) {
            if (!n.isUp() || !n.core().isBroadcasting()) {
                return false;
            }
        }
        return true;
    }

    private static List<SimRequest> writeToEveryNode(SimCluster c, int each) {
        List<SimRequest> out = new ArrayList<>();
        for (int i = 0; i < each; i++) {
            for (SimNode n : c.nodes()) {
                if (n.isUp() && n.isVoter()) {
                    out.add(c.submit(n.id()));
                }
            }
            c.runFor(20);
        }
        return out;
    }

    @Test
    void replicatesWritesAndConverges() {
        SimCluster c = established(11, SimOptions.defaults().voters(5));
        List<SimRequest> writes = writeToEveryNode(c, 10);
        SimRequest sync = c.sync(2);
        assertTrue(c.runUntil(() -> writes.stream().allMatch(SimRequest::isDone)
                && sync.isDone(), 5_000), c.states());
        assertTrue(writes.stream().allMatch(SimRequest::succeeded), writes.toString());
        assertEquals(SimRequest.Status.SYNCED, sync.status());
        assertTrue(c.runUntil(c::converged, 5_000), c.convergenceProblem());
        assertEquals(50, c.checkers().chainLength());
        c.checkInvariants();
    }

    @Test
    void acknowledgedWritesSurviveCrashingEveryone() {
        SimCluster c = established(12, SimOptions.defaults());
        List<SimRequest> writes = writeToEveryNode(c, 5);
        assertTrue(c.runUntil(() -> writes.stream().allMatch(SimRequest::isDone), 5_000));
        for (SimNode n : c.nodes()) {
            c.crash(n.id());
        }
        c.runFor(500);
        for (SimNode n : c.nodes()) {
            c.restart(n.id());
        }
        assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
        c.checkInvariants();
        c.checkers().checkAcknowledgedWritesEverywhere();
        assertEquals(15, c.checkers().chainLength());
    }

    @Test
    void aHookCanCrashAFollowerRightBeforeItAcksNewLeader() {
        SimCluster c = established(13, SimOptions.defaults());
        int leader = c.leader().orElseThrow().id();
        int follower = leader == 1 ? 2 : 1;
        writeToEveryNode(c, 3);
        c.crash(follower);
        c.runFor(300);
        Hook<Action> hook = c.onAction(follower,
                a -> a instanceof Send s && s.message() instanceof AckNewLeader,
                x -> c.crash(x.node().id()));
        c.restart(follower);
        assertTrue(c.runUntil(() -> hook.fired() == 1, 5_000), "the hook fired");
        assertFalse(c.node(follower).isUp(), "crashed before the ACK left");
        hook.remove();
        c.restart(follower);
        assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
    }

    @Test
    void partitionsAndHealLeadToOneLeaderAgain() {
        SimCluster c = established(14, SimOptions.defaults().voters(5));
        int old = c.leader().orElseThrow().id();
        c.isolate(old);
        c.runFor(3_000);
        SimNode leader = c.leader().orElseThrow();
        assertTrue(leader.id() != old && leader.core().epoch() > 0, c.states());
        c.bridge(1, Set.of(2, 3), Set.of(4, 5));
        c.runFor(2_000);
        c.heal();
        writeToEveryNode(c, 2);
        assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
    }

    @Test
    void aDiskThatLiesIsCaughtAsAnAckBeforeDurable() {
        SimCluster c = established(15, SimOptions.defaults());
        int follower = c.leader().orElseThrow().id() == 1 ? 2 : 1;
        c.onAction(follower, a -> a instanceof AppendTxns, Intercepted::drop);
        SimulationFailure f = assertThrows(SimulationFailure.class, () -> {
            writeToEveryNode(c, 3);
            c.runFor(1_000);
        });
        assertEquals("NoAckBeforeDurable", f.invariant(), f.getMessage());
        assertTrue(f.getMessage().contains("seed 15"), "the report names the seed");
        assertTrue(f.trace().contains("hook dropped"), "the trace shows the fault");
    }

    @Test
    void aLostDeliveryIsCaughtAsAGapInPrimaryOrder() {
        SimCluster c = established(16, SimOptions.defaults());
        int follower = c.leader().orElseThrow().id() == 1 ? 2 : 1;
        Hook<Action> hook = c.onAction(follower, a -> a instanceof Deliver, x -> x.drop());
        SimulationFailure f = assertThrows(SimulationFailure.class, () -> {
            c.submit(follower);
            c.runFor(500);
            hook.remove();
            writeToEveryNode(c, 2);
            c.runFor(1_000);
        });
        assertEquals("LocalPrimaryOrder", f.invariant(), f.getMessage());
    }

    @Test
    void aHeldMessageTakesEffectWhenReleased() {
        SimCluster c = established(17, SimOptions.defaults());
        int leader = c.leader().orElseThrow().id();
        List<Intercepted.Held> held = new ArrayList<>();
        Hook<Action> hook = c.onAction(leader, a -> a instanceof Send s
                && s.message() instanceof io.zab.protocol.message.Commit,
                x -> held.add(x.hold()));
        SimRequest w = c.submit(leader);
        c.runFor(200);
        assertFalse(w.isDone() && c.nodes().stream().allMatch(
                n -> n.stateMachine().count() == 1), "followers wait for the held COMMITs");
        hook.remove();
        held.forEach(Intercepted.Held::release);
        assertTrue(c.runUntil(c::converged, 2_000), c.convergenceProblem());
        assertNotNull(w.zxid());
    }

    @Test
    void aSeedReplaysExactly() {
        RandomRun.Result a = RandomRun.run(42, 30_000);
        RandomRun.Result b = RandomRun.run(42, 30_000);
        assertEquals(a.toString(), b.toString());
        assertTrue(a.steps() > 1_000 && a.acknowledged() > 0, a.toString());
    }
}
