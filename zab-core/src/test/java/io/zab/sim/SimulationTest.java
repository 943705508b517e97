package io.zab.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The random simulation over a range of seeds: {@code [sim.firstSeed, sim.firstSeed +
 * sim.seeds)}, each {@code sim.runMillis} of virtual time (200 s by default), on one thread per
 * processor. Every seed is deterministic, so a failing one replays with the command printed in
 * the failure.
 */
class SimulationTest {
    private static final long RUN_MILLIS = 200_000;
    private static final String REPLAY = "mvn -pl zab-core test"
            + " -Dtest=SimulationTest#randomSeeds -Dsim.seeds=1 -Dsim.firstSeed=";
    private static final String REPLAY_WIPES = "mvn -pl zab-core test"
            + " -Dtest=SimulationTest#randomSeedsWithWipedDisks -Dsim.wipeSeeds=1"
            + " -Dsim.firstSeed=";

    @Test
    void randomSeeds() throws InterruptedException {
        SeedRunner.run("", Integer.getInteger("sim.seeds", 500), RUN_MILLIS, RandomRun::run,
                REPLAY);
    }

    /**
     * The same with wiped disks (S26): some crashed voters lose their data directory and
     * restart as joining the existing cluster. {@code sim.wipeSeeds} seeds (default 150) from
     * {@code sim.firstSeed}.
     */
    @Test
    void randomSeedsWithWipedDisks() throws InterruptedException {
        SeedRunner.run(" with wiped disks", Integer.getInteger("sim.wipeSeeds", 150), RUN_MILLIS,
                (seed, millis) -> RandomRun.run(seed, millis, null, true), REPLAY_WIPES);
    }

    private static final String REPLAY_CHANGES = "mvn -pl zab-core test"
            + " -Dtest=SimulationTest#randomSeedsWithMembershipChanges -Dsim.changeSeeds=1"
            + " -Dsim.firstSeed=";

    /**
     * The same with membership changes (issue 17): spares, and random changes of the voters
     * (grow, shrink, replace, remove the leader) mixed into the faults. {@code sim.changeSeeds}
     * seeds (default 150) from {@code sim.firstSeed}.
     */
    @Test
    void randomSeedsWithMembershipChanges() throws InterruptedException {
        SeedRunner.run(" with membership changes", Integer.getInteger("sim.changeSeeds", 150),
                RUN_MILLIS, RandomRun::runWithMembershipChanges, REPLAY_CHANGES);
    }

    /**
     * Seeds of the membership-change mode that failed in sweeps of 50,000 and pass since their
     * fix: 201367 (a SNAP installed whole was resumed by the next SNAP of it; FollowerTest);
     * 300141, 305224, 314187 (a node holding a change its leader lost before the commit never
     * joined the leader elected without it; FastLeaderElectionTest); 404723, 417803 (a leader
     * kept feeding the joiner of a change that had expired, but dropped its messages: its
     * forwarded writes were never answered); 410730 (new voters that had not seen the change
     * told the leader they abstain, so a leader holding the change could never make a quorum
     * of them); 417169 (the durability check asked a joint quorum of a txn committed before the
     * change); 200778 (every liveness write landed on a removed node) and 512211 (no write at all
     * in the liveness window: the runs add a write to a member each second after the heal);
     * 604345 (a stale ACKEPOCH before the leader's LEADERINFO dropped an honest learner);
     * 807401 (voters 1-5 changing to 1, 5, 6, the change reached 2, 3, 4 and 6 only: those
     * voted for the new voter 6, whom 1 and 5 did not know, and no leader was ever elected; only
     * voters of the committed membership are candidates now); 1002701 (with that rule: voters
     * 1-5 changing to 3, 7, 8, the leader 5 needed 7 or 8, which could never count a quorum
     * behind it since 1, 2 and 4 did not know them; a voter a change adds now follows a
     * candidate on its own word that it leads).
     */
    @ParameterizedTest
    @ValueSource(longs = {200778, 201367, 300141, 305224, 314187, 404723, 410730, 417169,
        417803, 512211, 604345, 807401, 1002701})
    void membershipChangeSeedsThatOnceFailed(long seed) {
        RandomRun.runWithMembershipChanges(seed, RUN_MILLIS);
    }

    /**
     * Seeds of the wiped-disk mode that failed in a sweep and pass since their fix: 601516 (a
     * leader that led anew on the same link got the ACKEPOCH of its earlier LEADERINFO and
     * dropped an honest learner; FollowerTest, LeaderDiscoveryTest).
     */
    @ParameterizedTest
    @ValueSource(longs = {601516})
    void wipedDiskSeedsThatOnceFailed(long seed) {
        RandomRun.run(seed, RUN_MILLIS, null, true);
    }
}
