package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.Zxid;
import io.zab.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three voters and an observer, real nodes over loopback with file storage: a long replicated
 * run compared byte for byte, and the observer's place (it follows, it never counts).
 */
class ReplicationIT {
    private static final int TXNS = 100_000;
    private static final int OBSERVER = 4;

    @TempDir
    Path root;

    private TestCluster<HistoryMachine> votersAndObserver() throws Exception {
        return Clusters.netty(root).voters(3).observers(1).start();
    }

    /**
     * 100,000 txns submitted through every member (followers and the observer forward them),
     * then all four state machines must be byte-for-byte identical, hold every acknowledged
     * txn at the zxid it was acknowledged with, and hold nothing twice.
     */
    @Test
    void everyReplicaEndsByteForByteIdenticalAfterOneHundredThousandTxns() throws Exception {
        try (TestCluster<HistoryMachine> c = votersAndObserver()) {
            c.awaitLeader(Clusters.DEADLINE);
            long start = System.nanoTime();
            byte[] record;
            try (Writer w = new Writer("t", Clusters.anyRunning(c), 1_000).start()) {
                w.awaitAcked(c, TXNS);
                w.stop();
                record = Clusters.converged(c);
                w.assertFailuresOnly(Writer.transientFailures());
                w.assertAllAckedIn(record);
                long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime()
                        - start));
                System.out.printf("replication: %d txns acknowledged (%d submitted, failures %s)"
                        + ", %d bytes of state on each of 4 replicas, ~%d txns/s%n",
                        w.acked().size(), w.submitted(), w.failures(), record.length,
                        w.acked().size() / seconds);
            }
            assertTrue(c.stateMachine(1).count() >= TXNS, "txns delivered: "
                    + c.stateMachine(1).count());
            for (int id = 1; id <= 4; id++) {
                assertEquals(c.stateMachine(1).count(), c.stateMachine(id).count());
            }
            c.assertNoFailures();
        }
    }

    /**
     * With both followers down, the leader and the observer are two of four members, and
     * would be a majority of the three voters if the observer counted. A write must not commit
     * then: its future fails (the leader loses its quorum and steps down), through the leader
     * and through the observer alike. Once a follower is back, a new leader is elected, the
     * observer follows it again, and all four converge.
     */
    @Test
    void anObserverFollowsAlongButNeverCountsInAQuorum() throws Exception {
        try (TestCluster<HistoryMachine> c = votersAndObserver()) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            assertNotEquals(OBSERVER, leader);
            assertEquals(Role.OBSERVING, c.node(OBSERVER).role());
            List<CompletableFuture<SubmitResult>> viaObserver = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                viaObserver.add(c.node(OBSERVER).submit(bytes("via-observer-" + i)));
            }
            for (CompletableFuture<SubmitResult> f : viaObserver) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(200, HistoryMachine.index(Clusters.converged(c)).size());

            List<Integer> followers = c.voters().stream().filter(id -> id != leader).toList();
            followers.forEach(c::kill);
            CompletableFuture<SubmitResult> viaLeader = c.node(leader).submit(bytes("lone-1"));
            CompletableFuture<SubmitResult> lone = c.node(OBSERVER).submit(bytes("lone-2"));
            assertNotAcknowledged(viaLeader);
            assertNotAcknowledged(lone);
            Clusters.await(c, "the lone voter to stop leading", () ->
                    c.node(leader).role() != Role.LEADING);
            Zxid observed = c.stateMachine(OBSERVER).last();

            c.restart(followers.get(0));
            c.awaitLeader(Clusters.DEADLINE);
            SubmitResult after = c.node(OBSERVER).submit(bytes("after")).get(30,
                    TimeUnit.SECONDS);
            assertTrue(after.zxid().epoch() > observed.epoch(), "a new epoch: " + after.zxid());
            c.restart(followers.get(1));
            c.awaitLeader(Clusters.DEADLINE);
            byte[] record = Clusters.converged(c);
            Map<String, Zxid> delivered = HistoryMachine.index(record);
            assertEquals(after.zxid(), delivered.get("after"));
            c.assertNoFailures();
        }
    }

    private static void assertNotAcknowledged(CompletableFuture<SubmitResult> f)
            throws Exception {
        try {
            SubmitResult r = f.get(Clusters.DEADLINE.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("committed without a quorum of voters at " + r.zxid());
        } catch (ExecutionException e) {
            assertInstanceOf(ZabException.class, e.getCause());
            assertTrue(e.getCause() instanceof ZabException.OutcomeUnknownException
                    || e.getCause() instanceof ZabException.NotLeaderException,
                    "failed as unknown or not-leader: " + e.getCause());
        }
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
