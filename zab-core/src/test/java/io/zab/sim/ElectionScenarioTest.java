package io.zab.sim;

import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.leadersSoFar;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.writeFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Event;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S20 (election storm, with zab-core's QuorumMaxElection; zab-election runs the same schedule
 * with FLE) and the simulator's part of S27 (clocks that run at different rates).
 */
class ElectionScenarioTest {
    /**
     * S20 (5 nodes): 30% of the election messages are dropped, duplicated, reordered or
     * followed by a stale replay; two nodes restart in the middle of the first election; then
     * the leader is crashed three times under the storm. Each election must settle (a leader
     * in broadcast followed by everyone up) within T, with one leader per epoch (checked on
     * every step).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void s20ElectionStorm(long seed) {
        ElectionStorm.runS20(new SimCluster(seed, SimOptions.defaults().voters(5)), seed);
    }

    /**
     * Makes {@code node}'s ticks come at {@code num/den} of the real rate: extra ticks are
     * posted, or ticks are dropped. The core counts time in ticks only, so this is its whole
     * view of a fast or slow clock.
     */
    private static void skew(SimCluster c, int node, int num, int den) {
        long[] credit = {0};
        Set<Event> injected = Collections.newSetFromMap(new IdentityHashMap<>());
        c.onEvent(node, e -> e instanceof Event.Tick && !injected.remove(e), x -> {
            credit[0] += num;
            long n = credit[0] / den;
            credit[0] %= den;
            if (n == 0) {
                x.drop();
            }
            for (int i = 1; i < n; i++) {
                Event t = new Event.Tick();
                injected.add(t);
                x.node().post(t, "tick", 1 + i);
            }
        });
    }

    /**
     * S27 (SIM part): clocks drift apart: the leader's ticks run at 3/2 of real time and a
     * follower's at 2/3 (odd seeds), or the reverse (even seeds), for a minute of writes. Every
     * timeout of the core counts ticks, so no election may happen. (Wall-clock jumps cannot
     * reach the core: the runtime derives ticks from an injected monotonic nanoTime and takes
     * one tick, not a burst, after a long stall; the REAL faketime run is not done.)
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s27ClocksAtDifferentRatesCauseNoElection(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults());
        int leader = leaderId(c);
        List<Integer> f = followers(c, leader);
        boolean fastLeader = seed % 2 == 1;
        skew(c, leader, fastLeader ? 3 : 2, fastLeader ? 2 : 3);
        skew(c, f.get(0), fastLeader ? 2 : 3, fastLeader ? 3 : 2);
        long before = leadersSoFar(c);
        List<SimRequest> writes = writeFor(c, r, 60_000, 100);
        assertEquals(before, leadersSoFar(c), "elections while clocks drift: " + c.states());
        assertEquals(leader, leaderId(c));
        assertTrue(writes.stream().allMatch(SimRequest::succeeded), "every write commits");
        settle(c);
    }
}
