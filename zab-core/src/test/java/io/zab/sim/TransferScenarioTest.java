package io.zab.sim;

import static io.zab.sim.Scenarios.T;
import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.sendsTo;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.protocol.Outcome;
import io.zab.protocol.message.Takeover;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Leadership transfer (issue 17) on the simulator: under write load, to a lagging follower, a
 * target that never takes over, and the refusals. Every checker runs on every step; each
 * scenario ends with {@link Scenarios#settle} (liveness, convergence, every acknowledged write
 * everywhere).
 */
class TransferScenarioTest {
    /** Transfer timeout in ticks (100 ms each): long enough for a lagging target. */
    private static final int TIMEOUT_TICKS = 100;

    /** Submits a write at a random live node every {@code gapMillis} until {@code done}. */
    private static List<SimRequest> writeUntil(SimCluster c, SplittableRandom r,
            BooleanSupplier done, long maxMillis, long gapMillis) {
        List<SimRequest> out = new ArrayList<>();
        long end = c.now() + maxMillis * SimClock.MILLIS;
        while (!done.getAsBoolean() && c.now() < end) {
            List<SimNode> up = c.nodes().stream().filter(SimNode::isUp).toList();
            out.add(c.submit(up.get(r.nextInt(up.size())).id()));
            c.runUntil(done, gapMillis);
        }
        return out;
    }

    private static Outcome.Kind kindOf(SimRequest r) {
        return r.outcome() == null ? null : r.outcome().kind();
    }

    private static void assertLeads(SimCluster c, int target) {
        assertTrue(c.runUntil(() -> c.leader().map(SimNode::id).orElse(-1) == target
                && c.nodes().stream().allMatch(n -> n.core().isBroadcasting()), T),
                "target " + target + " leads with everyone in broadcast: " + c.states());
    }

    /**
     * A writer submits to every node while the leader hands over to each follower in turn (and
     * back): each transfer completes, the target leads in a new epoch, writes refused meanwhile
     * were never applied (the checkers fail a refused write that commits), no acknowledged
     * write is lost.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void transfersUnderWriteLoad(long seed) {
        SimOptions o = SimOptions.defaults().requestWaitTicks(seed % 2 == 0 ? 20 : 0);
        if (seed > 4) {
            o.voters(5).observers(1);
        }
        SimCluster c = established(seed, o);
        SplittableRandom r = new SplittableRandom(seed);
        List<SimRequest> writes = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            int leader = leaderId(c);
            List<Integer> candidates = followers(c, leader);
            int target = candidates.get(r.nextInt(candidates.size()));
            long epoch = c.node(leader).core().epoch();
            writes.addAll(writeUntil(c, r, () -> false, 300, 5));
            SimRequest t = c.transfer(leader, target, TIMEOUT_TICKS);
            writes.addAll(writeUntil(c, r, t::isDone, 20_000, 5));
            assertEquals(SimRequest.Status.TRANSFERRED, t.status(), "transfer " + leader + " -> "
                    + target + ": " + t.outcome() + "\n" + c.states());
            assertEquals(Role.FOLLOWING, c.node(leader).core().role());
            assertEquals(target, leaderId(c), c.states());
            assertTrue(c.node(target).core().epoch() > epoch, "a new epoch");
            writes.addAll(writeUntil(c, r, () -> false, 300, 5));
        }
        assertTrue(c.runUntil(() -> writes.stream().allMatch(SimRequest::isDone), T));
        long ok = writes.stream().filter(SimRequest::succeeded).count();
        assertTrue(ok > writes.size() / 2, ok + " of " + writes.size() + " writes succeeded");
        settle(c);
    }

    /**
     * The target's disk is slow, so it lags far behind: the leader refuses writes and waits for
     * it to catch up, then hands over.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void waitsForALaggingTargetToCatchUp(long seed) {
        SimCluster c = established(seed, SimOptions.defaults());
        int leader = leaderId(c);
        int target = followers(c, leader).get(1);
        SimNode slow = c.node(target);
        slow.slowDisk(50_000);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 400; i++) {
            c.submit(leader);
            c.runFor(1);
        }
        long lag = c.node(leader).core().learners().get(new PeerId(target)).lagTxns();
        assertTrue(lag > 10, "the target lags: " + lag + "\n" + c.states());
        SimRequest t = c.transfer(leader, target, TIMEOUT_TICKS);
        c.runFor(50);
        SimRequest refused = c.submit(leader);
        c.runUntil(refused::isDone, T);
        assertEquals(Outcome.Kind.NOT_LEADER, kindOf(refused), "writes refused meanwhile");
        assertEquals(new PeerId(target), refused.outcome().leaderHint(), "hinting the target");
        slow.slowDisk(0);
        writeUntil(c, r, t::isDone, 20_000, 20);
        assertEquals(SimRequest.Status.TRANSFERRED, t.status(), "transfer: " + t.outcome());
        assertLeads(c, target);
        settle(c);
    }

    /**
     * The target is cut off before it catches up: the transfer times out, the old leader never
     * stopped leading and takes writes again.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void timesOutWhenTheTargetCannotCatchUp(long seed) {
        SimCluster c = established(seed, SimOptions.defaults());
        int leader = leaderId(c);
        int target = followers(c, leader).get(0);
        c.node(target).slowDisk(1_000_000);
        for (int i = 0; i < 5; i++) {
            c.submit(leader);
        }
        c.runFor(5);
        SimRequest t = c.transfer(leader, target, 20);
        c.runFor(10);
        c.isolate(target);
        c.runUntil(t::isDone, T);
        assertEquals(Outcome.Kind.TIMED_OUT, kindOf(t), "transfer: " + t.outcome());
        assertEquals(leader, leaderId(c), "the old leader still leads");
        write(c, leader);
        c.node(target).slowDisk(0);
        settle(c);
    }

    /**
     * The target crashes as the leader hands over: the old leader and the other follower follow
     * a node that is down, time out, and elect a leader as after any leader loss; the transfer
     * fails with TIMED_OUT and nothing is stuck.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void aTargetLostAtTheHandOverEndsInANormalElection(long seed) {
        SimCluster c = established(seed, SimOptions.defaults());
        int leader = leaderId(c);
        int target = followers(c, leader).get((int) (seed % 2));
        for (int i = 0; i < 5; i++) {
            write(c, leader);
        }
        c.onAction(leader, a -> sendsTo(a, Takeover.class, target), x -> c.crash(target));
        SimRequest t = c.transfer(leader, target, 50);
        assertTrue(c.runUntil(t::isDone, T), "transfer ends: " + c.states());
        assertEquals(Outcome.Kind.TIMED_OUT, kindOf(t), "transfer: " + t.outcome());
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "a leader: " + c.states());
        assertNotEquals(target, leaderId(c));
        write(c, leaderId(c));
        settle(c);
    }

    @Test
    void refusals() {
        SimCluster c = established(7, SimOptions.defaults().voters(3).observers(1));
        int leader = leaderId(c);
        List<Integer> fs = followers(c, leader);
        int observer = 4;
        SimRequest onFollower = c.transfer(fs.get(0), fs.get(1), 10);
        SimRequest toSelf = c.transfer(leader, leader, 10);
        SimRequest toStranger = c.transfer(leader, 9, 10);
        SimRequest toObserver = c.transfer(leader, observer, 10);
        assertTrue(c.runUntil(() -> onFollower.isDone() && toSelf.isDone()
                && toStranger.isDone() && toObserver.isDone(), T));
        assertEquals(Outcome.Kind.NOT_LEADER, kindOf(onFollower), onFollower.outcome().detail());
        assertEquals(new PeerId(leader), onFollower.outcome().leaderHint());
        assertEquals(Outcome.Kind.REFUSED, kindOf(toSelf));
        assertEquals(Outcome.Kind.REFUSED, kindOf(toStranger));
        assertEquals(Outcome.Kind.REFUSED, kindOf(toObserver));
        assertEquals(leader, leaderId(c), "nothing changed");
        write(c, leader);

        // A follower that is not in broadcast with the leader is refused too.
        int cut = fs.get(0);
        c.isolate(cut);
        assertTrue(c.runUntil(() -> !c.node(leader).core().learners()
                .containsKey(new PeerId(cut)), T), "leader drops the cut follower");
        SimRequest toCut = c.transfer(leader, cut, 10);
        c.runUntil(toCut::isDone, T);
        assertEquals(Outcome.Kind.REFUSED, kindOf(toCut), String.valueOf(toCut.outcome()));
        c.heal();
        assertTrue(c.runUntil(() -> c.node(cut).core().isBroadcasting(), T), c.states());

        // During a transfer (its target lags), another one is refused.
        int target = fs.get(1);
        c.node(target).slowDisk(1_000_000);
        c.submit(leader);
        c.runFor(5);
        SimRequest first = c.transfer(leader, target, 30);
        SimRequest second = c.transfer(leader, cut, 30);
        c.runUntil(second::isDone, T);
        assertEquals(Outcome.Kind.REFUSED, kindOf(second), String.valueOf(second.outcome()));
        c.node(target).slowDisk(0);
        c.runUntil(first::isDone, T);
        assertTrue(first.succeeded() || kindOf(first) == Outcome.Kind.TIMED_OUT,
                String.valueOf(first.outcome()));
        settle(c);
    }
}
