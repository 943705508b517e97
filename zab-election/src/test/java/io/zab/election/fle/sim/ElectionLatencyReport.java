package io.zab.election.fle.sim;

import static io.zab.election.fle.sim.SimCluster.MS;
import static io.zab.election.fle.sim.SimCluster.SECOND;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.election.fle.sim.SimCluster.Decision;
import io.zab.election.fle.sim.SimCluster.Looking;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures, in the harness's virtual time, how long the survivors take to elect a new leader
 * after the leader crashes: default ticks (100 ms), syncLimit 5 ticks, FIFO links of 0.2-2 ms.
 * Not a test (nothing is asserted about speed); run it with
 * {@code mvn -q -pl zab-election -am test -Dtest=ElectionLatencyReport -Dfle.measure=true
 * -Dsurefire.failIfNoSpecifiedTests=false} (optionally {@code -Dfle.measureSeeds=1000}).
 */
@EnabledIfSystemProperty(named = "fle.measure", matches = "true")
class ElectionLatencyReport {
    private static final int SEEDS = Integer.getInteger("fle.measureSeeds", 1000);

    /** Times after the crash, in microseconds, of one run. */
    private record Sample(long firstLooking, long leaderDecided, long quorumDecided,
            long allDecided, long established) {
    }

    @Test
    void leaderCrashToNewLeader() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nFLE leader crash -> new leader, %d seeds each, tick 100 ms, syncLimit 5 ticks,"
                + " links 0.2-2 ms FIFO (ms: median / p99 / max)%n", SEEDS));
        for (NetConfig net : List.of(NetConfig.RELIABLE, NetConfig.LOSSY)) {
            out.append(net == NetConfig.RELIABLE ? "reliable network\n"
                    : "lossy network (20% loss, 10% dup, 3% breaks, reorder, 0.2-20 ms)\n");
            for (int n : new int[] {3, 5, 7}) {
                List<Sample> samples = new ArrayList<>();
                for (long seed = 1; seed <= SEEDS; seed++) {
                    samples.add(run(seed, n, net));
                }
                out.append(String.format(Locale.ROOT, "  %d voters: %s%n", n, summary(samples)));
            }
        }
        System.out.println(out);
    }

    private static Sample run(long seed, int n, NetConfig net) {
        SimCluster c = new SimCluster(seed, n, 0, net);
        SplittableRandom r = new SplittableRandom(seed ^ 0x5eed);
        c.startAll(MS);
        assertTrue(c.runUntil(() -> c.stableLeader().isPresent(), 60 * SECOND), c.describe());
        // Crash at an arbitrary instant, not on a tick boundary.
        c.run(SECOND + r.nextLong(2 * SECOND));
        PeerId old = c.stableLeader().orElseThrow().id;
        c.crash(old);
        long crash = c.nowUs();
        int decisionsBefore = c.decisions().size();
        int lookingsBefore = c.lookingLog().size();
        int establishedBefore = c.establishments().size();
        assertTrue(c.runUntil(() -> c.stableLeader().isPresent()
                && c.allSettledOn(c.voterIds(), c.stableLeader().get().id), 60 * SECOND),
                c.describe());
        PeerId leader = c.stableLeader().orElseThrow().id;
        Map<PeerId, Long> firstDecision = new TreeMap<>();
        for (Decision d : c.decisions().subList(decisionsBefore, c.decisions().size())) {
            if (d.leader().equals(leader)) {
                firstDecision.putIfAbsent(d.node(), d.timeUs() - crash);
            }
        }
        List<Long> times = new ArrayList<>(firstDecision.values());
        Collections.sort(times);
        Looking first = c.lookingLog().get(lookingsBefore);
        long established = c.establishments().get(establishedBefore).timeUs() - crash;
        return new Sample(first.timeUs() - crash, firstDecision.get(leader),
                times.get(c.quorumSize() - 1), times.get(times.size() - 1), established);
    }

    private static String summary(List<Sample> samples) {
        return String.format(Locale.ROOT,
                "first LOOKING %s | new leader decides %s | quorum decided %s"
                + " | all decided %s | leader has a quorum %s",
                stats(samples, Sample::firstLooking), stats(samples, Sample::leaderDecided),
                stats(samples, Sample::quorumDecided), stats(samples, Sample::allDecided),
                stats(samples, Sample::established));
    }

    private static String stats(List<Sample> samples,
            java.util.function.ToLongFunction<Sample> f) {
        List<Long> v = new ArrayList<>();
        for (Sample s : samples) {
            v.add(f.applyAsLong(s));
        }
        Collections.sort(v);
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", pct(v, 50) / 1000.0,
                pct(v, 99) / 1000.0, v.get(v.size() - 1) / 1000.0);
    }

    /** Nearest-rank percentile. */
    private static long pct(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
