package io.zab.election.fle.sim;

import static io.zab.election.fle.sim.SimCluster.MS;
import static io.zab.election.fle.sim.SimCluster.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.election.fle.sim.SimCluster.Decision;
import io.zab.protocol.message.Notification;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fast Leader Election in the harness, for 3, 5 and 7 voters, each scenario over many seeds
 * ({@code -Dfle.seeds}, default 200, starting at {@code -Dsim.firstSeed}). Every run also checks,
 * as it goes, that each leader that establishes an epoch holds every committed txn and that
 * only voters are ever decided on (see {@link SimCluster}).
 */
class ElectionSimulationTest {
    static final int SEEDS = Integer.getInteger("fle.seeds", 200);
    static final long FIRST_SEED = Long.getLong("sim.firstSeed", 1);

    /** Runs {@code scenario} once per seed; a failure names the seed to replay. */
    static void forEachSeed(LongConsumer scenario) {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
            try {
                scenario.accept(seed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    static SimNode awaitStableLeader(SimCluster c, long limitUs) {
        if (!c.runUntil(() -> c.stableLeader().isPresent(), limitUs)) {
            fail("no stable leader within " + limitUs / MS + " ms; " + c.describe());
        }
        return c.stableLeader().orElseThrow();
    }

    static void awaitAllSettledOn(SimCluster c, Set<PeerId> ids, PeerId leader, long limitUs) {
        if (!c.runUntil(() -> c.allSettledOn(ids, leader), limitUs)) {
            fail(ids + " did not all settle on " + leader + " within " + limitUs / MS + " ms; "
                    + c.describe());
        }
    }

    static Set<PeerId> allIds(SimCluster c) {
        Set<PeerId> ids = new TreeSet<>();
        for (SimNode n : c.nodes()) {
            ids.add(n.id);
        }
        return ids;
    }

    /** The voters in a random order. */
    static List<PeerId> shuffledVoters(SimCluster c, SplittableRandom r) {
        List<PeerId> voters = new ArrayList<>(c.voterIds());
        Collections.sort(voters);
        for (int i = voters.size() - 1; i > 0; i--) {
            Collections.swap(voters, i, r.nextInt(i + 1));
        }
        return voters;
    }

    /** A random set of {@code size} voters. */
    static Set<PeerId> randomVoters(SimCluster c, SplittableRandom r, int size) {
        return new TreeSet<>(shuffledVoters(c, r).subList(0, size));
    }

    static Set<PeerId> minus(Set<PeerId> all, Set<PeerId> out) {
        Set<PeerId> rest = new TreeSet<>(all);
        rest.removeAll(out);
        return rest;
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void simultaneousStartElectsTheBestVoterOnceAndAllAgree(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            c.randomCredentials();
            PeerId best = c.bestVoter();
            c.startAll(MS);
            SimNode leader = awaitStableLeader(c, 10 * SECOND);
            awaitAllSettledOn(c, c.voterIds(), leader.id, 2 * SECOND);
            assertEquals(best, leader.id, c.describe());
            assertEquals(n, c.decisions().size(), "one decision per voter: " + c.decisions());
            for (Decision d : c.decisions()) {
                assertEquals(1, d.round(), "decided in the first round: " + d);
                assertEquals(best, d.leader(), "all nodes of one round agree: " + d);
            }
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void equalCredentialsAreBrokenBySid(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            for (PeerId id : c.voterIds()) {
                c.credentials(id, 3, new Zxid(3, 7));
            }
            c.startAll(50 * MS);
            SimNode leader = awaitStableLeader(c, 20 * SECOND);
            assertEquals(PeerId.of(n), leader.id, c.describe());
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void afterALeaderCrashTheSurvivorsElectAndTheOldLeaderRejoinsQuietly(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            SplittableRandom r = new SplittableRandom(seed);
            c.startAll(MS);
            SimNode old = awaitStableLeader(c, 10 * SECOND);
            c.run(500 * MS + r.nextLong(2 * SECOND));
            c.crash(old.id);
            SimNode next = awaitStableLeader(c, 10 * SECOND);
            assertNotEquals(old.id, next.id);
            awaitAllSettledOn(c, c.voterIds(), next.id, 5 * SECOND);
            long lookings = c.lookings();
            int establishments = c.establishments().size();
            c.run(r.nextLong(SECOND));
            c.restart(old.id);
            awaitAllSettledOn(c, Set.of(old.id), next.id, 5 * SECOND);
            c.run(SECOND);
            assertEquals(lookings + 1, c.lookings(), "only the restarted node looked");
            assertEquals(establishments, c.establishments().size(), "no new epoch");
            assertEquals(next, c.stableLeader().orElseThrow());
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aRestartedFollowerJoinsTheRunningLeaderWithoutAnElection(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.BREAKING);
            SplittableRandom r = new SplittableRandom(seed);
            c.startAll(MS);
            SimNode leader = awaitStableLeader(c, 10 * SECOND);
            awaitAllSettledOn(c, c.voterIds(), leader.id, 5 * SECOND);
            c.run(r.nextLong(SECOND));
            PeerId follower = shuffledVoters(c, r).stream().filter(p -> !p.equals(leader.id))
                    .findFirst().orElseThrow();
            c.crash(follower);
            c.run(r.nextLong(2 * SECOND));
            long lookings = c.lookings();
            int decisions = c.decisions().size();
            c.restart(follower);
            awaitAllSettledOn(c, Set.of(follower), leader.id, 5 * SECOND);
            c.run(SECOND);
            assertEquals(lookings + 1, c.lookings(), "only the restarted node looked");
            assertEquals(decisions + 1, c.decisions().size(), "only the restarted node decided");
            assertEquals(leader, c.stableLeader().orElseThrow());
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void votesSplitThreeWaysByDistanceStillConverge(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            SplittableRandom r = new SplittableRandom(seed);
            c.randomCredentials();
            // Three sites; between sites a fixed 30-300 ms, longer than the finalize wait, so
            // each site first settles on its own best vote.
            int[] site = new int[n + 1];
            long[][] far = new long[n + 1][n + 1];
            for (int i = 1; i <= n; i++) {
                site[i] = i <= 3 ? i - 1 : r.nextInt(3);
                for (int j = 1; j < i; j++) {
                    far[i][j] = 30 * MS + r.nextLong(270 * MS);
                    far[j][i] = far[i][j];
                }
            }
            c.network().extraDelay((a, b) -> site[a.value()] == site[b.value()] ? 0
                    : far[a.value()][b.value()]);
            c.startAll(MS);
            SimNode leader = awaitStableLeader(c, 30 * SECOND);
            awaitAllSettledOn(c, c.voterIds(), leader.id, 10 * SECOND);
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aLossyReorderingNetworkStillElectsAfterStartAndAfterACrash(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, seed % 2 == 0 ? 2 : 0, NetConfig.LOSSY);
            c.randomCredentials();
            c.startAll(50 * MS);
            SimNode first = awaitStableLeader(c, 60 * SECOND);
            c.run(SECOND);
            c.crash(first.id);
            SimNode second = awaitStableLeader(c, 60 * SECOND);
            c.restart(first.id);
            awaitAllSettledOn(c, allIds(c), second.id, 60 * SECOND);
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aMinorityPartitionedFromTheStartNeverDecides(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.BREAKING);
            SplittableRandom r = new SplittableRandom(seed);
            c.randomCredentials();
            Set<PeerId> minority = randomVoters(c, r, r.nextInt(1, c.quorumSize()));
            Set<PeerId> majority = minus(c.voterIds(), minority);
            c.partition(minority, majority);
            c.startAll(MS);
            SimNode leader = awaitStableLeader(c, 20 * SECOND);
            assertTrue(majority.contains(leader.id));
            c.run(5 * SECOND);
            for (Decision d : c.decisions()) {
                assertTrue(majority.contains(d.node()), "minority node decided: " + d);
            }
            c.heal();
            awaitAllSettledOn(c, c.voterIds(), leader.id, 60 * SECOND);
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void aLeaderCutOffInAMinorityIsReplacedAndItsSideNeverDecides(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            SplittableRandom r = new SplittableRandom(seed);
            c.startAll(MS);
            SimNode old = awaitStableLeader(c, 10 * SECOND);
            awaitAllSettledOn(c, c.voterIds(), old.id, 5 * SECOND);
            c.run(r.nextLong(SECOND));
            Set<PeerId> minority = new TreeSet<>(Set.of(old.id));
            Set<PeerId> others = minus(c.voterIds(), minority);
            minority.addAll(shuffledVoters(c, r).stream().filter(others::contains)
                    .limit(r.nextInt(c.quorumSize() - 1)).toList());
            Set<PeerId> majority = minus(c.voterIds(), minority);
            c.partition(minority, majority);
            long cut = c.nowUs();
            SimNode next = awaitStableLeader(c, 10 * SECOND);
            assertTrue(majority.contains(next.id), c.describe());
            c.run(5 * SECOND);
            for (Decision d : c.decisions()) {
                assertTrue(d.lookStartUs() < cut || majority.contains(d.node()),
                        "minority node decided while cut off: " + d);
            }
            c.heal();
            awaitAllSettledOn(c, c.voterIds(), next.id, 20 * SECOND);
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void theHighestZxidPartitionedAwayDoesNotStallTheMajority(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.RELIABLE);
            SplittableRandom r = new SplittableRandom(seed);
            c.randomCredentials();
            PeerId high = PeerId.of(1 + r.nextInt(n));
            c.credentials(high, 5, new Zxid(5, 9));
            c.startAll(MS);
            // Cut it off just as its first votes are on the wire: some arrive, some do not.
            c.run(r.nextLong(3 * MS));
            Set<PeerId> rest = minus(c.voterIds(), Set.of(high));
            c.partition(Set.of(high), rest);
            SimNode leader = awaitStableLeader(c, 20 * SECOND);
            assertNotEquals(high, leader.id);
            c.heal();
            awaitAllSettledOn(c, Set.of(high), leader.id, 20 * SECOND);
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void observersLearnTheLeaderButNeverVote(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 2, NetConfig.BREAKING);
            SplittableRandom r = new SplittableRandom(seed);
            c.randomCredentials(); // observers hold the best credentials of all
            Set<PeerId> fewVoters = randomVoters(c, r, c.quorumSize() - 1);
            Set<PeerId> withObservers = new TreeSet<>(fewVoters);
            withObservers.addAll(c.observerIds());
            Set<PeerId> rest = minus(c.voterIds(), fewVoters);
            c.partition(withObservers, rest);
            c.startAll(MS);
            SimNode leader = awaitStableLeader(c, 20 * SECOND);
            c.run(5 * SECOND);
            for (Decision d : c.decisions()) {
                assertTrue(rest.contains(d.node()), "observers made a quorum: " + d);
            }
            c.heal();
            awaitAllSettledOn(c, allIds(c), leader.id, 60 * SECOND);
            for (PeerId o : c.observerIds()) {
                assertEquals(Role.OBSERVING, c.node(o).role);
            }
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void everyDecidedVoteCoversWhatAQuorumHolds(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 0, NetConfig.LOSSY).proposeRate(0);
            c.randomCredentials();
            // "Committed": the best credentials that a quorum holds, i.e. the quorum-th best.
            List<Vote> creds = new ArrayList<>();
            for (PeerId id : c.voterIds()) {
                creds.add(c.node(id).credentials());
            }
            creds.sort(Collections.reverseOrder());
            Vote committed = creds.get(c.quorumSize() - 1);
            c.startAll(20 * MS);
            awaitStableLeader(c, 60 * SECOND);
            long firstEpoch = c.establishments().get(0).timeUs();
            for (Decision d : c.decisions()) {
                if (d.timeUs() <= firstEpoch) {
                    Vote v = d.vote();
                    int cmp = Long.compare(v.epoch(), committed.epoch());
                    cmp = cmp != 0 ? cmp : v.zxid().compareTo(committed.zxid());
                    assertTrue(cmp >= 0, d + " is below the committed " + committed);
                }
            }
        });
    }

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {3, 5, 7})
    void badNotificationsDuringAnElectionAreIgnoredAndNeverStallIt(int n) {
        forEachSeed(seed -> {
            SimCluster c = new SimCluster(seed, n, 1, NetConfig.BREAKING).expectBadInput();
            SplittableRandom r = new SplittableRandom(seed);
            c.randomCredentials();
            List<Object[]> bad = List.of(
                    new Object[] {PeerId.of(99), new Notification(
                            new Vote(PeerId.of(99), 9, new Zxid(9, 9)), 1, Role.LOOKING)},
                    new Object[] {PeerId.of(1), new Notification(
                            new Vote(PeerId.of(1), 1L << 32, new Zxid(7, 1)), 1,
                            Role.LOOKING)},
                    new Object[] {PeerId.of(2), new Notification(
                            new Vote(PeerId.of(n + 1), 9, new Zxid(9, 9)), 1, Role.LOOKING)},
                    new Object[] {PeerId.of(2), new Notification(null, 1, Role.LOOKING)},
                    new Object[] {PeerId.of(1), new Notification(
                            new Vote(PeerId.of(2), 9, new Zxid(9, 9)), 1, Role.LEADING)},
                    new Object[] {PeerId.of(1), new Notification(
                            new Vote(PeerId.of(1), 0, Zxid.ZERO), -5, Role.LOOKING)});
            c.startAll(MS);
            for (int i = 0; i < 1_000; i++) {
                Object[] b = bad.get(r.nextInt(bad.size()));
                SimNode target = c.node(1 + r.nextInt(n + 1));
                c.queue().at(r.nextLong(3 * SECOND), () -> {
                    if (!target.id.equals(b[0])) {
                        target.receive((PeerId) b[0], (Notification) b[1]);
                    }
                });
            }
            SimNode leader = awaitStableLeader(c, 20 * SECOND);
            awaitAllSettledOn(c, allIds(c), leader.id, 60 * SECOND);
            long ignored = 0;
            for (SimNode node : c.nodes()) {
                ignored += node.fle.ignoredNotifications();
            }
            assertTrue(ignored > 0, "the bad notifications reached nobody");
        });
    }
}
