package io.zab.election.fle.core;

import io.zab.election.fle.FastLeaderElection;
import io.zab.sim.ElectionStorm;
import io.zab.sim.SimCluster;
import io.zab.sim.SimOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S20 (election storm, ZOOKEEPER-1419) with Fast Leader Election driving five real
 * {@code ZabCore}s in zab-core's simulator: 30% of the notifications dropped, duplicated,
 * reordered or replayed stale; two restarts during the first election; three leader crashes.
 * Every election must settle within T with one leader per epoch (checked on every step).
 */
class FleElectionStormTest {
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void s20ElectionStormWithFle(long seed) {
        ElectionStorm.runS20(new SimCluster(seed, SimOptions.defaults().voters(5)
                .election(FastLeaderElection::new)), seed);
    }
}
