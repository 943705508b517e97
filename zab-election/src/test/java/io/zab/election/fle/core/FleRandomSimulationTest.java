package io.zab.election.fle.core;

import io.zab.election.fle.FastLeaderElection;
import io.zab.sim.RandomRun;
import io.zab.sim.SeedRunner;
import org.junit.jupiter.api.Test;

/**
 * zab-core's random simulation (faults of every kind, every Zab invariant checked on every step,
 * then liveness and convergence after the heal) with Fast Leader Election as every node's
 * election, run by zab-core's {@link SeedRunner} (one seed per processor; every failed seed is
 * listed with the command that replays it). Seeds from {@code -Dsim.firstSeed}, each for
 * {@code -Dfle.coreRunMillis} virtual milliseconds (default 60,000; {@code -Dsim.runMillis}
 * overrides it).
 */
class FleRandomSimulationTest {
    private static final long RUN_MILLIS = Long.getLong("fle.coreRunMillis", 60_000);
    private static final String REPLAY = "mvn -pl zab-election test"
            + " -Dtest=FleRandomSimulationTest#%s -D%s=1 -Dsim.firstSeed=";

    /** {@code -Dfle.coreSeeds} seeds (default 20). */
    @Test
    void randomFaultsWithFastLeaderElection() throws InterruptedException {
        SeedRunner.run(" with FLE", Integer.getInteger("fle.coreSeeds", 20), RUN_MILLIS,
                (seed, millis) -> RandomRun.run(seed, millis, FastLeaderElection::new),
                REPLAY.formatted("randomFaultsWithFastLeaderElection", "fle.coreSeeds"));
    }

    /**
     * The same with wiped disks (S26): some crashed voters restart blank as joining the
     * existing cluster and must abstain in FLE until synced. {@code -Dfle.wipeSeeds} seeds
     * (default 40).
     */
    @Test
    void randomFaultsAndWipedDisksWithFastLeaderElection() throws InterruptedException {
        SeedRunner.run(" with FLE and wiped disks", Integer.getInteger("fle.wipeSeeds", 40),
                RUN_MILLIS,
                (seed, millis) -> RandomRun.run(seed, millis, FastLeaderElection::new, true),
                REPLAY.formatted("randomFaultsAndWipedDisksWithFastLeaderElection",
                        "fle.wipeSeeds"));
    }

    /**
     * The same with membership changes (joiners, removals, a removed leader, changes in flight
     * when faults strike): FLE's candidates, membership versions and joint quorums.
     * {@code -Dfle.changeSeeds} seeds (default 20).
     */
    @Test
    void randomMembershipChangesWithFastLeaderElection() throws InterruptedException {
        SeedRunner.run(" with FLE and membership changes",
                Integer.getInteger("fle.changeSeeds", 20), RUN_MILLIS,
                (seed, millis) -> RandomRun.runWithMembershipChanges(seed, millis,
                        FastLeaderElection::new),
                REPLAY.formatted("randomMembershipChangesWithFastLeaderElection",
                        "fle.changeSeeds"));
    }
}
