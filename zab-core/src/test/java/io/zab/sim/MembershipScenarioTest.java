package io.zab.sim;

import static io.zab.sim.Scenarios.T;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership change (issue 17) on the simulator: grow, shrink, replace, remove the leader, under
 * write load. Every checker runs on every step (durability counts by the quorum in force, joint
 * while a change is in flight); each scenario ends with {@link Scenarios#settle} over the
 * members of the final membership.
 */
class MembershipScenarioTest {
    private static final int TIMEOUT_TICKS = 200;

    private static Membership voters(Integer... ids) {
        Map<PeerId, String> v = new TreeMap<>();
        for (int id : ids) {
            v.put(PeerId.of(id), "");
        }
        return new Membership(Zxid.ZERO, v, Map.of());
    }

    private static SimCluster start(long seed, SimOptions o) {
        SimCluster c = new SimCluster(seed, o);
        assertTrue(c.runUntil(() -> c.leader().isPresent() && c.voters().stream()
                .allMatch(n -> n.core().isBroadcasting()), T), "initial leader: " + c.states());
        return c;
    }

    /** Writes at random live members while the change runs; returns the change. */
    private static SimRequest changeUnderLoad(SimCluster c, SplittableRandom r, Membership to,
            List<SimRequest> writes) {
        SimRequest change = c.changeMembership(leaderId(c), to, TIMEOUT_TICKS);
        long end = c.now() + 30_000 * SimClock.MILLIS;
        while (!change.isDone() && c.now() < end) {
            List<SimNode> up = c.nodes().stream().filter(n -> n.isUp() && c.isMember(n))
                    .toList();
            writes.add(c.submit(up.get(r.nextInt(up.size())).id()));
            c.runFor(7);
        }
        assertTrue(change.isDone(), "change to " + to + " done: " + c.states());
        return change;
    }

    private static void assertMembership(SimCluster c, Membership expected) {
        assertTrue(c.runUntil(() -> c.leader().isPresent() && c.nodes().stream()
                .filter(n -> expected.contains(n.peerId()))
                .allMatch(n -> n.isUp() && n.core().isBroadcasting()
                        && n.core().membership().sameMembers(expected)), T),
                "every member of " + expected + " in broadcast and knowing it: " + c.states());
    }

    /** 3 → 5 → 3 under writes: the two added voters first catch up, then vote. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void growsAndShrinksUnderLoad(long seed) {
        SimCluster c = start(seed, SimOptions.defaults().spares(2)
                .requestWaitTicks(seed % 2 == 0 ? 20 : 0));
        SplittableRandom r = new SplittableRandom(seed);
        List<SimRequest> writes = new ArrayList<>();
        Membership five = voters(1, 2, 3, 4, 5);
        SimRequest grow = changeUnderLoad(c, r, five, writes);
        assertTrue(grow.succeeded(), "grow: " + grow + " " + c.states());
        assertMembership(c, five);
        write(c, 5);
        int leader = leaderId(c);
        List<Integer> keep = new ArrayList<>(List.of(leader));
        for (int id = 5; keep.size() < 3; id--) {
            if (id != leader) {
                keep.add(id);
            }
        }
        Membership three = voters(keep.toArray(new Integer[0]));
        SimRequest shrink = changeUnderLoad(c, r, three, writes);
        assertTrue(shrink.succeeded(), "shrink: " + shrink + " " + c.states());
        assertMembership(c, three);
        settle(c);
    }

    /** The leader removes itself: it hands over to a new voter, writes go on. */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void removesTheLeader(long seed) {
        SimCluster c = start(seed, SimOptions.defaults().voters(3));
        SplittableRandom r = new SplittableRandom(seed);
        List<SimRequest> writes = new ArrayList<>();
        int leader = leaderId(c);
        Set<Integer> rest = new TreeSet<>(List.of(1, 2, 3));
        rest.remove(leader);
        Membership two = voters(rest.toArray(new Integer[0]));
        SimRequest change = changeUnderLoad(c, r, two, writes);
        assertTrue(change.succeeded(), change + " " + c.states());
        assertMembership(c, two);
        assertNotEquals(leader, leaderId(c), "a new voter leads");
        write(c, leaderId(c));
        settle(c);
    }

    /** A voter is replaced by a spare (one change swaps them), then the old one is gone. */
    @ParameterizedTest
    @ValueSource(longs = {21, 22, 23})
    void replacesAVoter(long seed) {
        SimCluster c = start(seed, SimOptions.defaults().spares(1));
        SplittableRandom r = new SplittableRandom(seed);
        List<SimRequest> writes = new ArrayList<>();
        int leader = leaderId(c);
        int gone = leader == 1 ? 2 : 1;
        Set<Integer> next = new TreeSet<>(List.of(1, 2, 3, 4));
        next.remove(gone);
        Membership to = voters(next.toArray(new Integer[0]));
        SimRequest change = changeUnderLoad(c, r, to, writes);
        assertTrue(change.succeeded(), change + " " + c.states());
        assertMembership(c, to);
        c.crash(gone); // the replaced machine is switched off
        write(c, 4);
        settle(c);
    }

    /** A new voter that never comes up: the change is refused after its timeout, nothing changed. */
    @ParameterizedTest
    @ValueSource(longs = {31, 32})
    void refusesWhenANewVoterDoesNotCatchUp(long seed) {
        SimCluster c = start(seed, SimOptions.defaults().spares(1));
        c.crash(4);
        Membership four = voters(1, 2, 3, 4);
        SimRequest change = c.changeMembership(leaderId(c), four, 30);
        assertTrue(c.runUntil(change::isDone, T), c.states());
        assertEquals(Outcome.Kind.REFUSED, change.outcome().kind(), change.toString());
        for (SimNode n : c.voters()) {
            assertTrue(n.core().membership().sameMembers(voters(1, 2, 3)), n.toString());
        }
        write(c, leaderId(c));
        // A second change while none is in flight goes through once the voter is up.
        c.restart(4);
        SimRequest again = c.changeMembership(leaderId(c), four, TIMEOUT_TICKS);
        assertTrue(c.runUntil(again::isDone, T), c.states());
        assertTrue(again.succeeded(), again + " " + c.states());
        assertMembership(c, four);
        settle(c);
    }
}
