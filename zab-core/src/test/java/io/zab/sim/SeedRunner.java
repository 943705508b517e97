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
import org.slf4j.LoggerFactory;

/**
 * Runs one kind of {@link RandomRun} over the seeds {@code [sim.firstSeed, sim.firstSeed +
 * seeds)}, each for {@code sim.runMillis} of virtual time unless the caller says otherwise, on
 * one thread per processor; sums what the seeds exercised and fails with every failed seed and
 * the command that replays the first. The random tests share it, so a new mode of faults needs
 * only the call of one seed and its replay command.
 *
 * <p>Called on the test's thread; the seeds run on a pool of its own, one seed per thread.
 * Public for the random tests of other modules (zab-election's runs with FLE).
 */
public final class SeedRunner {
    /** One seed of some kind of random run. */
    @FunctionalInterface
    public interface OneSeed {
        RandomRun.Result run(long seed, long runMillis);
    }

    private SeedRunner() {
    }

    /**
     * Runs {@code seeds} seeds of {@code oneSeed}; {@code replay} is the command that replays
     * one seed, completed by the seed number.
     */
    public static void run(String label, int seeds, long defaultRunMillis, OneSeed oneSeed,
            String replay) throws InterruptedException {
        long first = Long.getLong("sim.firstSeed", 1);
        long runMillis = Long.getLong("sim.runMillis", defaultRunMillis);
        quietProtocolLogs();
        int threads = Math.max(1, Math.min(seeds, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long wallStart = System.nanoTime();
        List<Future<RandomRun.Result>> runs = new ArrayList<>();
        for (long s = first; s < first + seeds; s++) {
            long seed = s;
            runs.add(pool.submit(() -> oneSeed.run(seed, runMillis)));
        }
        pool.shutdown();
        Summary sum = new Summary();
        for (int i = 0; i < runs.size(); i++) {
            sum.collect(first + i, runs.get(i), replay);
        }
        double wall = (System.nanoTime() - wallStart) / 1e9;
        System.out.printf("simulation%s: %d seeds (%d failed), %.2f virtual hours, %d steps,"
                + " %d acknowledged writes, %.1f s wall on %d threads%n", label, seeds,
                sum.failed.size(), sum.virtual / 3.6e9, sum.steps, sum.acked, wall, threads);
        System.out.println("simulation: " + sum.stats);
        if (sum.firstFailure != null) {
            System.out.print(sum.failures);
            fail(sum.failed.size() + " of " + seeds + " seeds failed: " + sum.failed + "\n"
                    + sum.failures + "first failure, " + sum.firstFailure);
        }
    }

    /** What the seeds did, added up as their runs end, in seed order. */
    private static final class Summary {
        long virtual;
        long steps;
        long acked;
        final SimStats stats = new SimStats();
        final List<Long> failed = new ArrayList<>();
        final StringBuilder failures = new StringBuilder();
        String firstFailure;

        void collect(long seed, Future<RandomRun.Result> run, String replay)
                throws InterruptedException {
            try {
                RandomRun.Result r = run.get();
                virtual += r.virtualMicros();
                steps += r.steps();
                acked += r.acknowledged();
                stats.add(r.stats());
            } catch (ExecutionException e) {
                failed.add(seed);
                String msg = String.valueOf(e.getCause().getMessage());
                int nl = msg.indexOf('\n');
                failures.append("  seed ").append(seed).append(": ")
                        .append(nl > 0 ? msg.substring(0, Math.min(nl, 300)) : msg)
                        .append('\n');
                if (firstFailure == null) {
                    firstFailure = "seed " + seed + " failed: " + e.getCause().getMessage()
                            + "\nreplay: " + replay + seed;
                    e.getCause().printStackTrace();
                }
            }
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
