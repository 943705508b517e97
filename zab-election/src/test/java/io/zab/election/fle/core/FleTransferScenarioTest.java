package io.zab.election.fle.core;

import static io.zab.election.fle.core.FleCoreScenarioTest.awaitLeader;
import static io.zab.election.fle.core.FleCoreScenarioTest.cluster;
import static io.zab.election.fle.core.FleCoreScenarioTest.forEachSeed;
import static io.zab.election.fle.core.FleCoreScenarioTest.writeFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.sim.SimCluster;
import io.zab.sim.SimNode;
import io.zab.sim.SimRequest;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Leadership transfer under Fast Leader Election: the hand-over settles every node's election
 * without a round (the target LEADING, the others FOLLOWING it), so a node that restarts later
 * joins the new leader, and when the new leader crashes FLE elects a survivor as usual.
 */
class FleTransferScenarioTest {
    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5})
    void afterATransferFleStillJoinsAndElects(int n) {
        forEachSeed(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimCluster c = cluster(seed, n, 1);
            int leader = awaitLeader(c, 10_000).id();
            writeFor(c, r, 300);
            int target = leader % n + 1;
            SimRequest t = c.transfer(leader, target, 100);
            writeFor(c, r, 300);
            assertTrue(c.runUntil(t::isDone, 20_000), c.states());
            assertEquals(SimRequest.Status.TRANSFERRED, t.status(), t.outcome() + "\n"
                    + c.states());
            assertEquals(target, awaitLeader(c, 10_000).id());
            int other = target % n + 1;
            c.crash(other);
            c.restart(other);
            assertTrue(c.runUntil(() -> c.node(other).core().isBroadcasting()
                    && c.node(other).core().leader().orElseThrow().value() == target, 10_000),
                    "a restarted node joins the new leader: " + c.states());
            c.crash(target);
            SimNode next = awaitLeader(c, 10_000);
            assertTrue(next.id() != target);
            writeFor(c, r, 300);
            c.restart(target);
            assertTrue(c.runUntil(c::converged, 20_000), c.convergenceProblem());
            c.checkInvariants();
        });
    }
}
