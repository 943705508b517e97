package io.zab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kit on the loopback network (zab-core's tests have no Netty), as a host's tests would use
 * it: every operation changes the cluster the way its name says, and the waits see it.
 */
class TestClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static TestCluster<Ledger> loopback(int voters, int observers) throws Exception {
        return TestCluster.builder(Ledger::new).voters(voters).observers(observers)
                .network(TestCluster.Network.LOOPBACK).start();
    }

    @Test
    void aNewLeaderTakesOverAndTheOldOneCatchesUpAfterARestart() throws Exception {
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            int old = c.awaitLeader(WAIT);
            assertEquals(List.of(1, 2, 3), c.running());
            long firstEpoch = write(c.node(old), "a", 50).get(0).zxid().epoch();
            c.kill(old);
            assertFalse(c.running().contains(old));
            assertThrows(IllegalStateException.class, () -> c.node(old));
            int next = c.awaitLeader(WAIT);
            assertNotEquals(old, next);
            List<SubmitResult> later = write(c.node(next), "b", 50);
            assertTrue(later.get(0).zxid().epoch() > firstEpoch, "a new epoch");

            c.restart(old);
            Zxid end = c.awaitConverged(WAIT);
            assertEquals(later.get(49).zxid(), end);
            for (int id : c.members()) {
                List<String> entries = c.inspect(id, Ledger::entries);
                assertEquals(100, entries.size(), "member " + id);
                assertEquals("a0", entries.get(0));
                assertEquals("b49", entries.get(99));
            }
            c.assertNoFailures();
        }
    }

    /**
     * A wiped follower of a running cluster is caught up from the leader. With every member
     * down, a wiped member restarts as EXISTING: it abstains, so it and one member with the
     * history are no quorum (as founding members the two would elect a leader). Once the third
     * is back, a leader is elected and syncs it, and it votes again.
     */
    @Test
    void wipedMembersAreSyncedBeforeTheyVote() throws Exception {
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            int leader = c.awaitLeader(WAIT);
            write(c.node(leader), "w", 30);
            int follower = leader == 1 ? 2 : 1;
            c.wipe(follower);
            c.awaitConverged(WAIT);
            assertEquals(30, c.inspect(follower, Ledger::entries).size());

            for (int id : c.running()) {
                c.kill(id);
            }
            c.wipe(1);
            assertEquals(List.of(), c.inspect(1, Ledger::entries), "a blank disk");
            c.restart(2);
            c.await("the wiped member abstaining", WAIT, () -> c.node(1).status().abstaining());
            assertTrue(c.leader().isEmpty(), c.describe());

            c.restart(3);
            c.awaitLeader(WAIT);
            c.awaitConverged(WAIT);
            for (int id : c.members()) {
                assertEquals(30, c.inspect(id, Ledger::entries).size(), "member " + id);
            }
            c.await("the wiped member voting again", WAIT,
                    () -> !c.node(1).status().abstaining());
            assertTrue(c.describe().contains("1 voter (wiped"), c.describe());
        }
    }

    /**
     * The leader cut off alone: a write through it never commits (it fails once the leader
     * gives up its lost quorum), the other two elect a leader and commit, and once healed the
     * old leader drops its uncommitted write and converges with them.
     */
    @Test
    void aPartitionedMinorityCannotCommitWhileTheMajorityCan() throws Exception {
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            int old = c.awaitLeader(WAIT);
            write(c.node(old), "before", 10);
            c.partition(Set.of(old));
            assertTrue(c.describe().contains("partitioned [" + old + "]"), c.describe());
            CompletableFuture<SubmitResult> lost = c.node(old).submit(bytes("lost"));

            int next = c.awaitLeader(WAIT); // waits for the old leader to step down
            assertNotEquals(old, next);
            List<SubmitResult> majority = write(c.node(next), "majority", 10);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> lost.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(ZabException.class, e.getCause());
            assertNotEquals(Role.LEADING, c.node(old).role());
            TimeoutException stuck = assertThrows(TimeoutException.class,
                    () -> c.awaitConverged(Duration.ofMillis(300)));
            assertTrue(stuck.getMessage().contains("partitioned"), stuck.getMessage());

            c.heal();
            assertEquals(majority.get(9).zxid(), c.awaitConverged(WAIT));
            List<String> entries = c.inspect(old, Ledger::entries);
            assertEquals(20, entries.size(), entries.toString());
            assertFalse(entries.contains("lost"));
        }
    }

    /** A partition outlives a restart: it is between ids, not between running nodes. */
    @Test
    void aRestartedMemberStaysOnItsSideOfThePartition() throws Exception {
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            int leader = c.awaitLeader(WAIT);
            int cut = leader == 1 ? 2 : 1;
            c.partition(Set.of(cut));
            write(c.node(leader), "x", 5);
            c.restart(cut);
            assertEquals(leader, c.awaitLeader(WAIT));
            write(c.node(leader), "y", 5);
            assertEquals(List.of(), c.inspect(cut, Ledger::entries).stream()
                    .filter(s -> s.startsWith("y")).toList(), "nothing reached the cut member");
            c.heal();
            c.awaitConverged(WAIT);
            assertEquals(10, c.inspect(cut, Ledger::entries).size());
        }
    }

    @Test
    void fiveVotersAndAnObserverCommitWithTwoVotersDown() throws Exception {
        try (TestCluster<Ledger> c = loopback(5, 1)) {
            assertEquals(List.of(1, 2, 3, 4, 5), c.voters());
            assertEquals(List.of(6), c.observers());
            int leader = c.awaitLeader(WAIT);
            assertEquals(Role.OBSERVING, c.node(6).role());
            List<Integer> followers = c.voters().stream().filter(id -> id != leader).toList();
            c.kill(followers.get(0));
            c.kill(followers.get(1));
            write(c.node(6), "via-observer", 20);
            c.restart(followers.get(0));
            c.restart(followers.get(1));
            c.awaitConverged(WAIT);
            for (int id : c.members()) {
                assertEquals(20, c.inspect(id, Ledger::entries).size(), "member " + id);
            }
        }
    }

    /** State machines that disagree at the same zxid are reported as diverged, not as slow. */
    @Test
    void replicasThatDifferAtTheSameZxidAreReportedAsDiverged() throws Exception {
        try (TestCluster<Ledger> c = TestCluster.builder(Ledger::new)
                .network(TestCluster.Network.LOOPBACK).sameState((a, b) -> false).start()) {
            write(c.node(c.awaitLeader(WAIT)), "d", 3);
            AssertionError e = assertThrows(AssertionError.class,
                    () -> c.awaitConverged(Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("diverged") && e.getMessage().contains("1 and 2"),
                    e.getMessage());
        }
    }

    @Test
    void theStateMachinesAreComparedWithTheHostsCheckWhenGiven() throws Exception {
        try (TestCluster<Ledger> c = TestCluster.builder(Ledger::new)
                .network(TestCluster.Network.LOOPBACK)
                .sameState((a, b) -> a.entries().equals(b.entries())).start()) {
            write(c.node(c.awaitLeader(WAIT)), "s", 3);
            c.awaitConverged(WAIT);
        }
    }

    @Test
    void aGivenDataRootIsKeptAndATemporaryOneDeleted() throws Exception {
        Path temporary;
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            temporary = c.dataDir(1).getParent();
            c.awaitLeader(WAIT);
        }
        assertFalse(Files.exists(temporary), temporary + " deleted");
        try (TestCluster<Ledger> c = TestCluster.builder(Ledger::new).dataRoot(dir)
                .network(TestCluster.Network.LOOPBACK).configure(b -> b.clusterId("kept"))
                .start()) {
            assertEquals(dir.resolve("node2"), c.dataDir(2));
            write(c.node(c.awaitLeader(WAIT)), "k", 1);
        }
        assertTrue(Files.exists(dir.resolve("node2")), "kept");
    }

    @Test
    void whatLoopbackModeCannotDoItSays() throws Exception {
        try (TestCluster<Ledger> c = loopback(3, 0)) {
            assertThrows(IllegalStateException.class, () -> c.address(1));
            assertThrows(IllegalArgumentException.class, () -> c.node(4));
            assertThrows(IllegalArgumentException.class,
                    () -> c.partition(Set.of(1, 2), Set.of(2, 3)));
        }
        TestCluster<Ledger> closed = loopback(3, 0);
        closed.close();
        closed.close(); // idempotent
        assertEquals(List.of(), closed.running());
        assertThrows(IllegalStateException.class, () -> closed.restart(1));
        IllegalStateException factory = assertThrows(IllegalStateException.class,
                () -> TestCluster.builder(Ledger::new).network(TestCluster.Network.LOOPBACK)
                        .nodeFactory((config, sm) -> null).start());
        assertTrue(factory.getMessage().contains("Netty mode"), factory.getMessage());
        // zab-core's own tests run without zab-transport: the default is loopback, and Netty
        // mode names the dependency it lacks.
        IllegalStateException netty = assertThrows(IllegalStateException.class,
                () -> TestCluster.builder(Ledger::new).network(TestCluster.Network.NETTY)
                        .start());
        assertTrue(netty.getMessage().contains("zab-transport"), netty.getMessage());
        try (TestCluster<Ledger> c = TestCluster.start(3, Ledger::new)) {
            assertEquals(TestCluster.Network.LOOPBACK, c.network());
        }
    }

    private static List<SubmitResult> write(ZabNode via, String prefix, int count)
            throws Exception {
        List<CompletableFuture<SubmitResult>> futures = new ArrayList<>();
        IntStream.range(0, count).forEach(i -> futures.add(via.submit(bytes(prefix + i), WAIT)));
        List<SubmitResult> results = new ArrayList<>();
        for (CompletableFuture<SubmitResult> f : futures) {
            results.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        return results;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
