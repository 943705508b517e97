package io.zab.election.fle.core;

import static org.junit.jupiter.api.Assertions.fail;

import io.zab.election.LeaderElection;
import io.zab.election.QuorumMaxElection;
import io.zab.election.fle.FastLeaderElection;
import io.zab.protocol.Action;
import io.zab.sim.Intercepted;
import io.zab.sim.SimCluster;
import io.zab.sim.SimNode;
import io.zab.sim.SimOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures the figure of issue 4: virtual time from a leader crash to a new leader in broadcast,
 * with real {@code ZabCore}s in zab-core's simulator at default settings (tick 100 ms,
 * initLimit 10, syncLimit 5; links 0.05-2 ms, 1% of messages 2-50 ms), under a light write
 * load, the leader failing at an arbitrary instant 1-3 s after the first leader: either its
 * process crashes (the simulator resets its connections at once, as a dead process's kernel
 * does) or it freezes, as a paused or powered-off machine looks (connections stay open, nothing
 * comes out; followers notice after syncLimit). Not a test (no
 * speed is asserted); run with {@code mvn -q -pl zab-election -am test
 * -Dtest=CoreFailoverLatencyReport -Dfle.measure=true -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dfle.measureSeeds}, default 1000).
 */
@EnabledIfSystemProperty(named = "fle.measure", matches = "true")
class CoreFailoverLatencyReport {
    private static final int SEEDS = Integer.getInteger("fle.measureSeeds", 1000);

    @Test
    void leaderCrashToNewLeaderInBroadcast() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%nleader failure ->"
                + " new leader in broadcast, zab-core simulator, %d seeds each (ms: median / p99"
                + " / max)%n", SEEDS));
        for (boolean crash : new boolean[] {true, false}) {
            out.append(crash ? "leader process crashes (its connections reset at once):\n"
                    : "leader freezes (no connection reset: followers notice after syncLimit):\n");
            report(out, "FastLeaderElection", FastLeaderElection::new, crash);
            report(out, "QuorumMaxElection (zab-core's simple election, for comparison)",
                    QuorumMaxElection::new, crash);
        }
        System.out.println(out);
    }

    private static void report(StringBuilder out, String name,
            Supplier<LeaderElection> election, boolean crash) {
        out.append("  ").append(name).append('\n');
        for (int n : new int[] {3, 5, 7}) {
            List<Long> samples = new ArrayList<>();
            for (long seed = 1; seed <= SEEDS; seed++) {
                samples.add(failover(seed, n, election, crash));
            }
            Collections.sort(samples);
            out.append(String.format(Locale.ROOT, "    %d voters: %.0f / %.0f / %.0f%n", n,
                    pct(samples, 50) / 1000.0, pct(samples, 99) / 1000.0,
                    samples.get(samples.size() - 1) / 1000.0));
        }
    }

    private static long failover(long seed, int n, Supplier<LeaderElection> election,
            boolean crash) {
        SimCluster c = new SimCluster(seed, SimOptions.defaults().voters(n).election(election));
        SplittableRandom r = new SplittableRandom(seed ^ 0xfa11L);
        FleCoreScenarioTest.awaitLeader(c, 30_000);
        FleCoreScenarioTest.writeFor(c, r, 1_000 + r.nextLong(2_000));
        SimNode old = c.leader().orElseThrow();
        long oldEpoch = old.core().epoch();
        if (crash) {
            c.crash(old.id());
        } else {
            // Frozen: it handles nothing and sends nothing, its connections stay open.
            c.onEvent(old.id(), e -> true, Intercepted::drop);
            c.onAction(old.id(), a -> a instanceof Action.Send, Intercepted::drop);
        }
        long failedAt = c.now();
        if (!c.runUntil(() -> c.leader().filter(l -> l != old && l.core().epoch() > oldEpoch)
                .isPresent(), 60_000)) {
            fail("seed " + seed + ": no new leader within 60 s\n" + c.states());
        }
        return c.now() - failedAt;
    }

    /** Nearest-rank percentile. */
    private static long pct(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
