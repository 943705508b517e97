package io.zab.election.fle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.Role;
import io.zab.election.fle.FastLeaderElection;
import io.zab.sim.SimCluster;
import io.zab.sim.SimNode;
import io.zab.sim.SimOptions;
import io.zab.sim.SimRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fast Leader Election driving real {@code ZabCore}s in zab-core's simulator, whose checkers
 * verify every Zab invariant (Leadership, PrefixConsistency, PrimaryIntegrity, durability of
 * acknowledged writes...) after every step. {@code -Dfle.coreScenarioSeeds} seeds per case
 * (default 20).
 */
class FleCoreScenarioTest {
    private static final int SEEDS = Integer.getInteger("fle.coreScenarioSeeds", 20);
    private static final long FIRST_SEED = Long.getLong("sim.firstSeed", 1);

    static void forEachSeed(LongConsumer scenario) {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
            try {
                scenario.accept(seed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    static SimCluster cluster(long seed, int voters, int observers) {
        return new SimCluster(seed, SimOptions.defaults().voters(voters).observers(observers)
                .election(FastLeaderElection::new));
    }

    static SimNode awaitLeader(SimCluster c, long millis) {
        if (!c.runUntil(() -> c.leader().isPresent(), millis)) {
            fail("no leader in broadcast within " + millis + " ms\n" + c.states());
        }
        return c.leader().orElseThrow();
    }

    /** Writes at random live nodes for a while; returns them. */
    static List<SimRequest> writeFor(SimCluster c, SplittableRandom r, long millis) {
        List<SimRequest> out = new ArrayList<>();
        long end = c.now() / 1_000 + millis;
        while (c.now() / 1_000 < end) {
            List<SimNode> up = c.nodes().stream().filter(SimNode::isUp).toList();
            out.add(c.submit(up.get(r.nextInt(up.size())).id()));
            c.runFor(5 + r.nextLong(50));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aLeaderCrashElectsASurvivorAndTheOldLeaderRejoinsWithoutANewEpoch(int n) {
        forEachSeed(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimCluster c = cluster(seed, n, (int) (seed % 2));
            SimNode old = awaitLeader(c, 10_000);
            writeFor(c, r, 500 + r.nextLong(1_500));
            c.crash(old.id());
            if (!c.runUntil(() -> c.leader().filter(l -> l != old).isPresent(), 10_000)) {
                fail("no new leader 10 s after the crash\n" + c.states());
            }
            SimNode next = c.leader().orElseThrow();
            writeFor(c, r, 500);
            long epoch = next.core().epoch();
            c.restart(old.id());
            assertTrue(c.runUntil(() -> old.core().role() == Role.FOLLOWING
                    && old.core().isBroadcasting(), 10_000), c.states());
            assertEquals(epoch, next.core().epoch(), "the restart forced a new epoch");
            assertEquals(next, c.leader().orElseThrow());
            assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
            c.checkInvariants();
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aRestartedFollowerJoinsTheRunningLeaderWithoutANewEpoch(int n) {
        forEachSeed(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimCluster c = cluster(seed, n, 0);
            SimNode leader = awaitLeader(c, 10_000);
            assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
            long epoch = leader.core().epoch();
            SimNode f = c.voters().stream().filter(v -> v != leader)
                    .toList().get(r.nextInt(n - 1));
            writeFor(c, r, 300);
            c.crash(f.id());
            writeFor(c, r, r.nextLong(1_000));
            c.restart(f.id());
            assertTrue(c.runUntil(() -> f.core().isBroadcasting(), 10_000), c.states());
            assertEquals(Role.FOLLOWING, f.core().role());
            assertEquals(epoch, c.leader().orElseThrow().core().epoch());
            assertEquals(leader, c.leader().orElseThrow());
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aMinorityWithTheOldLeaderNeverElectsAndRejoinsAfterTheHeal(int n) {
        forEachSeed(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimCluster c = cluster(seed, n, 0);
            SimNode old = awaitLeader(c, 10_000);
            writeFor(c, r, 300 + r.nextLong(700));
            long oldEpoch = old.core().epoch();
            Set<Integer> minority = new TreeSet<>(Set.of(old.id()));
            List<SimNode> others = c.voters().stream().filter(v -> v != old).toList();
            int extra = r.nextInt(n / 2);
            for (int i = 0; minority.size() < 1 + extra; i++) {
                minority.add(others.get((i + (int) seed) % others.size()).id());
            }
            Set<Integer> majority = new TreeSet<>();
            for (SimNode v : c.nodes()) {
                if (!minority.contains(v.id())) {
                    majority.add(v.id());
                }
            }
            c.partition(minority, majority);
            boolean[] minorityElected = new boolean[1];
            boolean elected = c.runUntil(() -> {
                for (int id : minority) {
                    SimNode m = c.node(id);
                    if (m.core().isBroadcasting() && m.core().epoch() > oldEpoch) {
                        minorityElected[0] = true;
                    }
                }
                return minorityElected[0] || c.leader().filter(l -> majority.contains(l.id())
                        && l.core().epoch() > oldEpoch).isPresent();
            }, 10_000);
            assertTrue(elected && !minorityElected[0], c.states());
            c.runFor(5_000);
            for (int id : minority) {
                SimNode m = c.node(id);
                assertTrue(!m.core().isBroadcasting() || m.core().epoch() == oldEpoch,
                        "minority node " + id + " in broadcast in a new epoch\n" + c.states());
            }
            c.heal();
            assertTrue(c.runUntil(c::converged, 20_000), c.convergenceProblem());
            c.checkInvariants();
        });
    }

    /**
     * S26 with FLE: a write commits on a bare majority (the leader, F1 and, with 5 voters, one
     * more) while the rest are down; every holder goes down and F1 loses its disk; F1 restarts
     * blank as joining the existing cluster, with the stale ones. F1 abstains, so the stale
     * nodes (a minority of voters) cannot elect; once the old leader returns, the write
     * survives and F1 votes again after its sync.
     */
    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5})
    void aWipedVoterAbstainsUntilSyncedAndNoCommittedWriteIsLost(int n) {
        forEachSeed(seed -> {
            SimCluster c = cluster(seed, n, 0);
            SimNode leader = awaitLeader(c, 10_000);
            List<Integer> others = new ArrayList<>();
            for (SimNode v : c.voters()) {
                if (v != leader) {
                    others.add(v.id());
                }
            }
            // Down: every follower but F1 short of a majority with the leader and F1.
            int f1 = others.get(0);
            List<Integer> down = others.subList(1, others.size() - (n / 2 - 1));
            for (int id : down) {
                c.crash(id);
            }
            SimRequest w = null;
            for (int attempt = 0; attempt < 20 && (w == null || !w.succeeded()); attempt++) {
                c.runFor(200);
                w = c.submit(leader.id());
                c.runUntil(w::isDone, 10_000);
            }
            if (!w.succeeded()) {
                fail("the write did not commit on a bare majority: " + w + "\n" + c.states());
            }
            // Every holder of w goes down; F1 loses its disk.
            c.crash(leader.id());
            for (int id : others) {
                if (!down.contains(id)) {
                    c.crash(id);
                }
            }
            c.wipe(f1);
            c.restart(f1);
            for (int id : down) {
                c.restart(id);
            }
            if (c.runUntil(() -> c.leader().isPresent(), 10_000)) {
                fail("a leader formed without the old leader while F1 is blank\n" + c.states());
            }
            c.restart(leader.id());
            awaitLeader(c, 10_000);
            if (!c.runUntil(() -> c.node(f1).core().isBroadcasting()
                    && c.node(f1).core().mayVote(), 10_000)) {
                fail("F1 did not sync\n" + c.states());
            }
            if (!c.node(f1).disk().durablyCovers(w.zxid())) {
                fail("F1 lacks the committed " + w.zxid() + "\n" + c.states());
            }
            c.checkInvariants();
        });
    }
}
