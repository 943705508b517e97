package io.zab.election.fle.core;

import io.zab.election.fle.FastLeaderElection;
import io.zab.sim.RandomRun;
import org.junit.jupiter.api.Test;

/**
 * zab-core's random simulation (faults of every kind, every Zab invariant checked on every step,
 * then liveness and convergence after the heal) with Fast Leader Election as every node's
 * election. {@code -Dfle.coreSeeds} seeds (default 20) of {@code -Dfle.coreRunMillis} virtual
 * milliseconds (default 60,000) from {@code -Dsim.firstSeed}; a failure names its seed.
 */
class FleRandomSimulationTest {
    @Test
    void randomFaultsWithFastLeaderElection() {
        int seeds = Integer.getInteger("fle.coreSeeds", 20);
        long millis = Long.getLong("fle.coreRunMillis", 60_000);
        long first = Long.getLong("sim.firstSeed", 1);
        for (long seed = first; seed < first + seeds; seed++) {
            RandomRun.run(seed, millis, FastLeaderElection::new);
        }
    }

    /**
     * The same with wiped disks (S26): some crashed voters restart blank as joining the
     * existing cluster and must abstain in FLE until synced. {@code -Dfle.wipeSeeds} (default
     * 40) from {@code -Dsim.firstSeed}; replay one with {@code -Dfle.wipeSeeds=1
     * -Dsim.firstSeed=S}.
     */
    @Test
    void randomFaultsAndWipedDisksWithFastLeaderElection() {
        int seeds = Integer.getInteger("fle.wipeSeeds", 40);
        long millis = Long.getLong("fle.coreRunMillis", 60_000);
        long first = Long.getLong("sim.firstSeed", 1);
        for (long seed = first; seed < first + seeds; seed++) {
            RandomRun.run(seed, millis, FastLeaderElection::new, true);
        }
    }

    /**
     * The same with membership changes (joiners, removals, a removed leader, changes in flight
     * when faults strike): FLE's candidates, membership versions and joint quorums.
     * {@code -Dfle.changeSeeds} (default 20) from {@code -Dsim.firstSeed}.
     */
    @Test
    void randomMembershipChangesWithFastLeaderElection() {
        int seeds = Integer.getInteger("fle.changeSeeds", 20);
        long millis = Long.getLong("fle.coreRunMillis", 60_000);
        long first = Long.getLong("sim.firstSeed", 1);
        for (long seed = first; seed < first + seeds; seed++) {
            RandomRun.runWithMembershipChanges(seed, millis, FastLeaderElection::new);
        }
    }
}
