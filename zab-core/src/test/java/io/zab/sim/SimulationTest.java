package io.zab.sim;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The random simulation over a range of seeds: {@code [sim.firstSeed, sim.firstSeed +
 * sim.seeds)}, each {@code sim.runMillis} of virtual time (200 s by default), on one thread per
 * processor. Every seed is deterministic, so a failing one replays with the command printed in
 * the failure.
 */
class SimulationTest {
    private static final String REPLAY = "mvn -pl zab-core test"
            + " -Dtest=SimulationTest#randomSeeds -Dsim.seeds=1 -Dsim.firstSeed=";
    private static final String REPLAY_WIPES = "mvn -pl zab-core test"
            + " -Dtest=SimulationTest#randomSeedsWithWipedDisks -Dsim.wipeSeeds=1"
            + " -Dsim.firstSeed=";

    @Test
    void randomSeeds() throws InterruptedException {
        run(Integer.getInteger("sim.seeds", 500), false, REPLAY);
    }

    /**
     * The same with wiped disks (S26): some crashed voters lose their data directory and
     * restart as joining the existing cluster. {@code sim.wipeSeeds} seeds (default 150) from
     * {@code sim.firstSeed}.
     */
    @Test
    void randomSeedsWithWipedDisks() throws InterruptedException {
        run(Integer.getInteger("sim.wipeSeeds", 150), true, REPLAY_WIPES);
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
        run(Integer.getInteger("sim.changeSeeds", 150), false, true, REPLAY_CHANGES);
    }

    private static void run(int seeds, boolean wipes, String replay)
            throws InterruptedException {
        run(seeds, wipes, false, replay);
    }

    private static void run(int seeds, boolean wipes, boolean changes, String replay)
            throws InterruptedException {
        long first = Long.getLong("sim.firstSeed", 1);
        long runMillis = Long.getLong("sim.runMillis", 200_000);
        quietProtocolLogs();
        int threads = Math.max(1, Math.min(seeds, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long wallStart = System.nanoTime();
        List<Future<RandomRun.Result>> runs = new ArrayList<>();
        for (long s = first; s < first + seeds; s++) {
            long seed = s;
            runs.add(pool.submit(() -> changes ? RandomRun.runWithMembershipChanges(seed,
                    runMillis) : RandomRun.run(seed, runMillis, null, wipes)));
        }
        pool.shutdown();
        long virtual = 0;
        long steps = 0;
        long acked = 0;
        SimStats stats = new SimStats();
        List<Long> failed = new ArrayList<>();
        StringBuilder summary = new StringBuilder();
        String firstFailure = null;
        for (int i = 0; i < runs.size(); i++) {
            long seed = first + i;
            try {
                RandomRun.Result r = runs.get(i).get();
                virtual += r.virtualMicros();
                steps += r.steps();
                acked += r.acknowledged();
                stats.add(r.stats());
            } catch (ExecutionException e) {
                failed.add(seed);
                String msg = String.valueOf(e.getCause().getMessage());
                int nl = msg.indexOf('\n');
                summary.append("  seed ").append(seed).append(": ")
                        .append(nl > 0 ? msg.substring(0, Math.min(nl, 300)) : msg).append('\n');
                if (firstFailure == null) {
                    firstFailure = "seed " + seed + " failed: " + e.getCause().getMessage()
                            + "\nreplay: " + replay + seed;
                    e.getCause().printStackTrace();
                }
            }
        }
        double wall = (System.nanoTime() - wallStart) / 1e9;
        System.out.printf("simulation%s: %d seeds (%d failed), %.2f virtual hours, %d steps,"
                + " %d acknowledged writes, %.1f s wall on %d threads%n",
                wipes ? " with wiped disks" : changes ? " with membership changes" : "", seeds, failed.size(),
                virtual / 3.6e9, steps, acked, wall, threads);
        System.out.println("simulation: " + stats);
        if (firstFailure != null) {
            System.out.print(summary);
            fail(failed.size() + " of " + seeds + " seeds failed: " + failed + "\n" + summary
                    + "first failure, " + firstFailure);
        }
    }

    /** Faults make the core log WARN constantly; keep the output readable unless asked. */
    private static void quietProtocolLogs() {
        if (System.getProperty("zab.log.level") == null
                && LoggerFactory.getLogger("io.zab") instanceof Logger l) {
            l.setLevel(Level.ERROR);
        }
    }
}
