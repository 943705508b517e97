package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.testkit.FreePorts;
import io.zab.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership change (issue 17) on real nodes in this JVM: Netty (and, for grow/shrink and
 * replace, the kit's loopback network too), Fast Leader Election and file storage, spares
 * started to join ({@link TestCluster.Builder#spares}), and a writer through every member
 * throughout. Grow and shrink (removing the leader), replace a follower then restart every
 * member in turn, and a change that cannot be made.
 */
class MembershipChangeTest {
    /** How long new members may take to catch up before a change is refused. */
    private static final Duration CATCH_UP = Duration.ofSeconds(30);

    @TempDir
    Path root;

    /**
     * 3 → 5 (both spares in one change, asked of a follower, which forwards it) → 3 (the
     * leader and another removed, asked of the leader). Each change completes, writes go on,
     * the removed nodes are out of the ensemble, and every acknowledged write is on every
     * remaining member.
     */
    @ParameterizedTest
    @EnumSource(TestCluster.Network.class)
    void growsToFiveThenShrinksToThreeWithoutTheLeaderUnderWrites(TestCluster.Network network)
            throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root).network(network).voters(3)
                .spares(2).start()) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            try (Writer w = new Writer("g", Clusters.anyRunning(c), 64).start()) {
                w.awaitAcked(c, 200);
                int follower = leader == 1 ? 2 : 1;
                List<Integer> five = List.of(1, 2, 3, 4, 5);
                change(c, follower, c.membershipOf(five, List.of()), "grow 3 to 5 via follower");
                assertEquals(five, c.members());
                w.awaitAcked(c, w.acked().size() + 200);

                leader = c.awaitLeader(Clusters.DEADLINE);
                int other = leader == 4 ? 5 : 4; // one of the voters just added
                List<Integer> three = new ArrayList<>(five);
                three.removeAll(List.of(leader, other));
                changeRemovingTheLeader(c, leader, c.membershipOf(three, List.of()),
                        "shrink 5 to 3 removing leader " + leader + " and " + other);
                assertEquals(three, c.members());
                assertTrue(three.contains(c.awaitLeader(Clusters.DEADLINE)), c.describe());
                w.awaitAcked(c, w.acked().size() + 200);
                assertRemoved(c, List.of(leader, other));
                w.stop();
                byte[] record = Clusters.converged(c);
                w.assertFailuresOnly(Writer.transientFailures());
                w.assertAllAckedIn(record);
            }
        }
    }

    /**
     * Replace a follower with the spare in one change, stop the replaced node, then restart
     * each remaining member in turn: each comes back with the new membership from its data
     * directory (its static config still lists 1 to 3, the spare's says JOIN), and the cluster
     * goes on committing after every restart (ZOOKEEPER-3829: a rolling restart after a change
     * left a leader that could not commit).
     */
    @ParameterizedTest
    @EnumSource(TestCluster.Network.class)
    void replacesAFollowerAndSurvivesARollingRestart(TestCluster.Network network)
            throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root).network(network).voters(3)
                .spares(1).start()) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            try (Writer w = new Writer("r", Clusters.anyRunning(c), 32).start()) {
                w.awaitAcked(c, 100);
                int replaced = leader == 1 ? 2 : 1;
                List<Integer> after = new ArrayList<>(List.of(1, 2, 3, 4));
                after.remove(Integer.valueOf(replaced));
                Membership next = change(c, leader, c.membershipOf(after, List.of()),
                        "replace " + replaced + " by 4");
                c.kill(replaced);
                w.awaitAcked(c, w.acked().size() + 100);

                for (int id : after) {
                    ZabNode restarted = c.restart(id);
                    Membership known = restarted.membership();
                    assertEquals(next.version(), known.version(), "member " + id + " restarted");
                    assertTrue(known.sameMembers(next), known + " on " + id);
                    Clusters.await(c, "member " + id + " back in broadcast",
                            () -> c.node(id).status().broadcasting());
                    c.awaitLeader(Clusters.DEADLINE);
                    w.awaitAcked(c, w.acked().size() + 100);
                }
                w.stop();
                byte[] record = Clusters.converged(c);
                w.assertFailuresOnly(Writer.transientFailures());
                w.assertAllAckedIn(record);
                assertEquals(after, c.members());
            }
        }
    }

    /**
     * A new voter that was never started cannot catch up: the change is refused within its
     * timeout and nothing changes; writes still commit.
     */
    @Test
    void aChangeToAVoterThatNeverStartedIsRefused() throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root).voters(3).start()) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            Membership before = c.membership();
            Map<PeerId, String> voters = new TreeMap<>(before.voters());
            voters.put(PeerId.of(4), "127.0.0.1:" + FreePorts.pick(1)[0]); // no one listens
            Duration timeout = Duration.ofSeconds(2);
            long start = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.node(leader).changeMembership(new Membership(Zxid.ZERO, voters,
                            Map.of()), timeout).get(Clusters.DEADLINE.toSeconds(),
                            TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertInstanceOf(ZabException.MembershipChangeRefusedException.class, e.getCause());
            System.out.printf("membership: a change to a voter never started refused after %d"
                    + " ms (timeout %d ms): %s%n", ms, timeout.toMillis(),
                    e.getCause().getMessage());
            assertTrue(ms < timeout.toMillis() + 5_000, "refused within the timeout: " + ms);
            for (int id : c.running()) {
                NodeStatus s = c.node(id).status();
                assertEquals(before, s.membership(), "member " + id);
                assertTrue(s.membershipChange().isEmpty(), "member " + id + ": " + s);
            }
            assertEquals(List.of(1, 2, 3), c.members());
            c.node(leader).submit(ByteBuffer.wrap("after".getBytes(StandardCharsets.UTF_8)),
                    Duration.ofSeconds(10)).get(Clusters.DEADLINE.toSeconds(), TimeUnit.SECONDS);
            Clusters.converged(c);
        }
    }

    /** Asks {@code via} for the change, waits for it and logs how long it took. */
    private static Membership change(TestCluster<?> c, int via, Membership target, String what)
            throws Exception {
        long start = System.nanoTime();
        Membership done = c.node(via).changeMembership(target, CATCH_UP)
                .get(Clusters.DEADLINE.toSeconds(), TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("membership (%s): %s: completed on %d in %d ms, now %s%n",
                c.network(), what, via, ms, done);
        assertTrue(done.sameMembers(target), done + " is " + target);
        assertEquals(done, c.membership(), c.describe());
        return done;
    }

    /**
     * {@link #change} asked of the leader it removes. Its answer may be OutcomeUnknown though
     * the change committed: the members that activate it cut the old leader off, and it can
     * lose its quorum and step down before it delivers the change itself (its delivery waits
     * for the membership to be saved), and stepping down fails every request not delivered
     * yet, committed or not. Then the change must still be the committed membership.
     */
    private static Membership changeRemovingTheLeader(TestCluster<?> c, int leader,
            Membership target, String what) throws Exception {
        long start = System.nanoTime();
        try {
            return change(c, leader, target, what);
        } catch (ExecutionException e) {
            assertInstanceOf(ZabException.OutcomeUnknownException.class, e.getCause());
            Clusters.await(c, "the change committed though its answer was unknown",
                    () -> c.membership().sameMembers(target));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("membership (%s): %s: answered %s on %d, committed as %s within"
                    + " %d ms%n", c.network(), what, e.getCause().getMessage(), leader,
                    c.membership(), ms);
            return c.membership();
        }
    }

    /**
     * Removed nodes know they were removed, and are refused: for a second of writes they
     * neither lead nor follow, the leader has no learner of theirs, and they log nothing more.
     */
    private static void assertRemoved(TestCluster<?> c, List<Integer> removed) throws Exception {
        for (int id : removed) {
            Clusters.await(c, "removed node " + id + " looking", () -> {
                NodeStatus s = c.node(id).status();
                return s.role() == Role.LOOKING
                        && !s.membership().contains(PeerId.of(id));
            });
            assertFalse(c.members().contains(id));
        }
        Map<Integer, Zxid> logged = new TreeMap<>();
        removed.forEach(id -> logged.put(id, c.node(id).status().lastLoggedZxid()));
        Zxid committedBefore = c.node(c.awaitLeader(Clusters.DEADLINE)).status()
                .lastCommittedZxid();
        for (int poll = 0; poll < 50; poll++) {
            int leader = c.leader().orElseThrow(() -> new AssertionError(c.describe()));
            Map<PeerId, ?> learners = c.node(leader).status().learners();
            for (int id : removed) {
                NodeStatus s = c.node(id).status();
                assertEquals(Role.LOOKING, s.role(), "removed node " + id + ": " + s);
                assertFalse(learners.containsKey(PeerId.of(id)), "a learner of " + leader
                        + ": " + id);
                assertEquals(logged.get(id), s.lastLoggedZxid(), "removed node " + id
                        + " logged more");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        int leader = c.awaitLeader(Clusters.DEADLINE);
        assertTrue(c.node(leader).status().lastCommittedZxid().isAfter(committedBefore),
                "the members committed meanwhile");
        for (int id : removed) {
            System.out.printf("membership (%s): removed node %d: %s%n", c.network(), id,
                    c.node(id).status().explanation());
        }
    }
}
