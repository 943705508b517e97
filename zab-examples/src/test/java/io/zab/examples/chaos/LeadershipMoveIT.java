package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.examples.chaos.ScenarioRun.Writer.Sent;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's leadership moves with real processes under writes: the leader removed from the
 * membership hands its leadership to a follower (TAKEOVER, no election) and writes go on; and
 * POST /leader moves it to another voter, five times. Each prints the time from the call to the
 * first write committed by the new leader (a write acknowledged with a zxid of its epoch, as
 * the writers saw it); the times are reported, not asserted. Every acknowledged write is read
 * back on every member at the end and none answered 503 is anywhere. No root. Logs stay under
 * the printed directory on failure.
 */
class LeadershipMoveIT {
    private static final Duration MOVE = Duration.ofSeconds(30);
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private static final Pattern HANDING = Pattern.compile("handing leadership to (\\d+)");

    /**
     * DELETE /members/{leader} sent to the leader under two writers. Asserted: the change
     * commits, the old leader logs that it handed its leadership over, a voter leads an epoch
     * above the old one, the voter it named took over by TAKEOVER without an election (the
     * members keep their removed leader's link until its TAKEOVER), and writes go on there.
     */
    @Test
    void removingTheLeaderMovesTheLeadershipAndWritesGoOn() throws Exception {
        try (ScenarioRun r = new ScenarioRun("leader-move", "remove-leader", 3, 0, 3,
                c -> c.jvmOptions("-Xmx192m", "-Dzab.log.level=INFO"))) {
            ProcessCluster c = r.c;
            int leader = r.leader();
            long epoch = c.epoch(leader);
            ScenarioRun.Targets targets = new ScenarioRun.Targets(List.of(1, 2, 3));
            List<ScenarioRun.Writer> writers = startWriters(r, "rl", targets);
            r.await("writes acknowledged", () -> acked(writers, -1) >= 50, MOVE);
            long mark = ServerLog.mark(c, leader);
            long t0 = System.nanoTime();
            HttpResponse<String> d = c.call(leader, "DELETE", "/members/" + leader, null,
                    Duration.ofSeconds(20));
            long answered = System.nanoTime();
            assertEquals(200, d.statusCode(), d.body() + "; logs in " + r.root);
            List<Integer> rest = new ArrayList<>(List.of(1, 2, 3));
            rest.remove(Integer.valueOf(leader));
            // A node no longer a member answers every write 503 after the admission wait: a
            // writer held there would slow the members' writes to a trickle.
            targets.set(rest);
            Sent first = awaitFirstAbove(r, writers, epoch);
            int next = r.leader();
            assertNotEquals(leader, next, "node " + leader + " still leads; logs in " + r.root);
            long nextEpoch = c.epoch(next);
            assertTrue(nextEpoch > epoch, "node " + next + " leads epoch " + nextEpoch
                    + ", not above " + epoch);
            String handed = ServerLog.line(ServerLog.since(c, leader, mark),
                    "handed leadership of epoch " + epoch, "without an election");
            assertNotNull(handed, "node " + leader + " did not log handing its leadership over;"
                    + " logs in " + r.root);
            String outcome = handOver(c, leader, mark, next);
            assertTrue(outcome.contains("by TAKEOVER"), outcome + "; logs in " + r.root);
            r.await("50 writes committed by node " + next, () -> acked(writers, epoch) >= 50,
                    MOVE);
            stop(writers);
            r.members(rest);
            r.finish();
            r.checkRefusedAbsent();
            for (int id : rest) {
                assertEquals(Set.copyOf(rest), MembershipProcessIT.voters(c, id),
                        "node " + id + "'s voters");
            }
            System.out.printf("remove the leader: node %d (epoch %d) removed; %s; node %d leads"
                    + " epoch %d; DELETE answered in %d ms; the first write committed by node %d"
                    + " was acknowledged %d ms after the DELETE was sent%n", leader, epoch,
                    outcome, next, nextEpoch, ms(answered - t0), next,
                    ms(first.answeredNanos() - t0));
            r.passed();
        }
    }

    /**
     * Five POST /leader calls, each to the next voter round the ring, under two writers through
     * every node; each must answer 200 naming the target, and the first write acknowledged
     * after it must carry the target's epoch.
     */
    @Test
    void transfersUnderWritesFiveTimes() throws Exception {
        try (ScenarioRun r = new ScenarioRun("leader-move", "transfer", 3, 0)) {
            ProcessCluster c = r.c;
            r.leader();
            List<ScenarioRun.Writer> writers = startWriters(r, "tr",
                    new ScenarioRun.Targets(List.of(1, 2, 3)));
            r.await("writes acknowledged", () -> acked(writers, -1) >= 50, MOVE);
            List<Long> toCommit = new ArrayList<>();
            List<Long> toReply = new ArrayList<>();
            for (int round = 1; round <= 5; round++) {
                int leader = awaitAllFollowing(r);
                int target = leader % 3 + 1;
                long epoch = c.epoch(leader);
                long t0 = System.nanoTime();
                HttpResponse<String> t = c.call(leader, "POST", "/leader",
                        String.valueOf(target), Duration.ofSeconds(20));
                long answered = System.nanoTime();
                assertEquals(200, t.statusCode(), "POST /leader " + target + " to node "
                        + leader + ": " + t.body() + "; logs in " + r.root);
                assertEquals(String.valueOf(target), ProcessCluster.field(LEADER, t.body()));
                // A write of our own to the target as soon as it answers: the writers' next
                // one may be a round trip away.
                Long probe = r.put(target, "probe-" + round, "p");
                long probed = System.nanoTime();
                Sent first = awaitFirstAbove(r, writers, epoch);
                long targetEpoch = c.epoch(target);
                assertEquals(targetEpoch, first.zxid() >>> 32, "the first write after the"
                        + " transfer was committed in another epoch than node " + target
                        + "'s; logs in " + r.root);
                long committed = probe != null && (probe >>> 32) == targetEpoch
                        && probed - first.answeredNanos() < 0 ? probed : first.answeredNanos();
                toCommit.add(ms(committed - t0));
                toReply.add(ms(answered - t0));
                r.note(String.format(Locale.ROOT, "transfer %d: node %d -> node %d (epoch %d ->"
                        + " %d): POST answered in %d ms, first write committed by node %d"
                        + " acknowledged %d ms after the call", round, leader, target, epoch,
                        targetEpoch, ms(answered - t0), target, ms(committed - t0)));
            }
            stop(writers);
            r.finish();
            r.checkRefusedAbsent();
            System.out.printf("transfer under writes, 5 rounds: to the first write committed by"
                    + " the target %s ms, median %d ms; to the POST's answer %s ms, median %d"
                    + " ms%n", toCommit, median(toCommit), toReply, median(toReply));
            r.passed();
        }
    }

    /**
     * Two writers through the targets (round robin, a 2 ms pause after each answer): enough
     * writes in flight that the first one a new leader commits comes within milliseconds.
     */
    private static List<ScenarioRun.Writer> startWriters(ScenarioRun r, String prefix,
            ScenarioRun.Targets targets) {
        List<ScenarioRun.Writer> out = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int offset = w;
            ScenarioRun.Writer writer = new ScenarioRun.Writer(r, prefix + w + "-",
                    i -> targets.pick(i + offset), 2);
            writer.start();
            out.add(writer);
        }
        return out;
    }

    private static void stop(List<ScenarioRun.Writer> writers) throws InterruptedException {
        for (ScenarioRun.Writer w : writers) {
            w.finish();
        }
    }

    /** Writes acknowledged with a zxid of an epoch above {@code epoch}. */
    private static long acked(List<ScenarioRun.Writer> writers, long epoch) {
        long n = 0;
        for (ScenarioRun.Writer w : writers) {
            n += w.ackedAfter(epoch);
        }
        return n;
    }

    /** The first write acknowledged (by answer time) in an epoch above {@code epoch}. */
    private static Sent awaitFirstAbove(ScenarioRun r, List<ScenarioRun.Writer> writers,
            long epoch) throws Exception {
        r.await("a write committed in an epoch above " + epoch, () -> acked(writers, epoch) > 0,
                MOVE);
        Sent first = null;
        for (ScenarioRun.Writer w : writers) {
            for (Sent s : w.sent()) {
                if (s.zxid() != null && (s.zxid() >>> 32) > epoch
                        && (first == null || s.answeredNanos() - first.answeredNanos() < 0)) {
                    first = s;
                }
            }
        }
        return first;
    }

    /** Waits until one node leads and every node reports it as leader; returns its id. */
    private static int awaitAllFollowing(ScenarioRun r) throws Exception {
        int[] leader = new int[1];
        r.await("every node following one leader", () -> {
            Integer l = r.c.leader();
            if (l == null) {
                return false;
            }
            for (int id = 1; id <= 3; id++) {
                if (!String.valueOf(l).equals(ProcessCluster.field(LEADER, r.c.status(id)))) {
                    return false;
                }
            }
            leader[0] = l;
            return true;
        }, MOVE);
        return leader[0];
    }

    /**
     * What became of a removed leader's hand-over, from the logs after {@code mark}: whether
     * the voter it named took over by TAKEOVER (its log says it leads "without an election")
     * or {@code next} leads after an election.
     */
    static String handOver(ProcessCluster c, int old, long mark, int next) throws IOException {
        Matcher named = HANDING.matcher(ServerLog.since(c, old, mark));
        if (!named.find()) {
            return "node " + old + " named no successor";
        }
        String target = named.group(1);
        boolean took = ServerLog.line(ServerLog.since(c, next, 0), "node " + next + ":",
                "leading " + next + " without an election") != null;
        return target.equals(String.valueOf(next)) && took
                ? "node " + old + " handed its leadership to node " + next + " by TAKEOVER"
                : "node " + old + " named node " + target + " in its TAKEOVER, but node " + next
                        + " leads after an election";
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
