package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.LearnerStatus;
import io.zab.MetricsRecorder;
import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.ZabMetrics;
import io.zab.ZabNode;
import io.zab.testing.RecordingStateMachine;
import io.zab.transport.LoopbackNetwork;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every metric of {@link MetricsRecorder}, and the status's explanation, after a scripted run of
 * three real nodes (threads, in-process network, memory stores): an election, commits on every
 * node, a follower restarted blank and caught up by SNAP, the leader's loss and a new election,
 * refusals of each kind a caller can cause.
 */
class MetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final LoopbackNetwork network = new LoopbackNetwork();
    private final MetricsRecorder recorder = new MetricsRecorder();
    private final Map<Integer, ZabNode> nodes = new TreeMap<>();
    private final Map<Integer, Long> submitted = new TreeMap<>();

    private ZabConfig config(int id, boolean existing) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).tickIntervalMs(20)
                .syncLimitTicks(50).initLimitTicks(50).historyMaxTxns(100)
                .snapshotEveryTxns(50).initialClusterState(existing
                        ? ZabConfig.InitialClusterState.EXISTING
                        : ZabConfig.InitialClusterState.NEW);
        for (int i = 1; i <= 3; i++) {
            b.voter(i, new InetSocketAddress("127.0.0.1", 7000 + i));
        }
        return b.build();
    }

    private ZabNode start(int id, boolean existing) throws Exception {
        ZabNode n = new NodeWiring().config(config(id, existing))
                .stateMachine(new RecordingStateMachine()).metrics(recorder)
                .transport(network.transport())
                .electionFactory(io.zab.election.QuorumMaxElection::new).build().start();
        nodes.put(id, n);
        return n;
    }

    @AfterEach
    void closeAll() {
        nodes.values().forEach(ZabNode::close);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private ZabNode leader() {
        return nodes.values().stream().filter(n -> n.status().role() == Role.LEADING
                && n.status().broadcasting()).findFirst().orElse(null);
    }

    private void awaitServing() throws InterruptedException {
        await("a leader and every node in broadcast", () -> leader() != null
                && nodes.values().stream().allMatch(n -> n.status().broadcasting()));
    }

    private void submitOnEach(int perNode) throws Exception {
        for (Map.Entry<Integer, ZabNode> e : nodes.entrySet()) {
            for (int i = 0; i < perNode; i++) {
                e.getValue().submit(ByteBuffer.wrap(new byte[] {(byte) i}), WAIT)
                        .get(60, TimeUnit.SECONDS);
            }
            submitted.merge(e.getKey(), (long) perNode, Long::sum);
        }
    }

    private void awaitConverged() throws InterruptedException {
        await("every node delivered the leader's last txn", () -> {
            ZabNode l = leader();
            return l != null && nodes.values().stream().allMatch(n -> n.lastDeliveredZxid()
                    .equals(l.status().lastCommittedZxid()));
        });
    }

    @Test
    void everyMetricAfterAnElectionCommitsASnapAndAFailover() throws Exception {
        for (int i = 1; i <= 3; i++) {
            start(i, false);
        }
        awaitServing();
        submitOnEach(100);
        awaitConverged();

        // A follower goes, misses more than the leader's history holds, comes back blank.
        int first = leader().id().value();
        int follower = first == 3 ? 1 : 3;
        nodes.remove(follower).close();
        submitOnEach(100);
        start(follower, true);
        awaitServing();
        awaitConverged();
        MetricsRecorder.Node lead = recorder.of(PeerId.of(first));
        assertTrue(lead.syncs(ZabMetrics.Sync.SNAP) >= 1, "the blank follower was sent a SNAP");
        assertTrue(lead.syncs(ZabMetrics.Sync.DIFF) >= 1, "the first syncs were DIFFs");
        // The learners' part of the status is refreshed once a tick.
        await("both learners in broadcast with no lag", () -> {
            Map<PeerId, LearnerStatus> ls = leader().status().learners();
            return ls.size() == 2 && ls.values().stream().allMatch(l -> l.lagTxns() == 0
                    && l.phase().equals("broadcast"));
        });
        NodeStatus ls = leader().status();
        assertTrue(ls.explanation().startsWith("leading epoch " + ls.epoch()
                + ": 3 of 3 voters in broadcast"), ls.explanation());

        // The leader goes: the others elect another and count the change.
        nodes.remove(first).close();
        awaitServing();
        int second = leader().id().value();
        assertTrue(recorder.of(PeerId.of(second)).leaderChanges() >= 1);
        assertTrue(recorder.of(PeerId.of(second)).lastElection().isPresent());
        assertEquals(Role.LEADING, recorder.of(PeerId.of(second)).role());
        submitOnEach(10);
        awaitConverged();

        // Refusals a caller can cause: too large, and a closed node.
        ZabNode any = nodes.get(second);
        ExecutionException tooLarge = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> any.submit(ByteBuffer.allocate((1 << 20) + 1))
                        .get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.TxnTooLargeException.class, tooLarge.getCause());
        assertEquals(1, recorder.of(PeerId.of(second)).refused(ZabMetrics.Refusal.TXN_TOO_LARGE));

        for (Map.Entry<Integer, ZabNode> e : nodes.entrySet()) {
            MetricsRecorder.Node r = recorder.of(PeerId.of(e.getKey()));
            long mine = submitted.get(e.getKey());
            // A node started twice submitted in both lives; its latencies are all recorded.
            assertEquals(mine, r.commitLatency().count(), "commit latencies of node "
                    + e.getKey());
            assertTrue(r.fsync().count() > 0, "forces of node " + e.getKey());
            assertTrue(r.txnsCommitted() > 0 && r.bytesCommitted() > 0);
            assertTrue(r.lastSnapshotBytes() > 0 && r.lastSnapshot().isPresent(),
                    "snapshots of node " + e.getKey());
            assertTrue(r.commitLatency().quantileSeconds(0.5) > 0);
        }
        // Every live node applied the same number of txns in this life or the last.
        long expected = submitted.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(expected, recorder.of(PeerId.of(second)).txnsCommitted());

        recorder.handshakeRefused(PeerId.of(second)); // as the transport reports them
        recorder.handshakeRefused(PeerId.of(second));
        String text = prometheus(nodes.get(second));
        for (String name : new String[] {"zab_role", "zab_epoch", "zab_leader_changes_total",
            "zab_election_seconds", "zab_commit_latency_seconds_bucket",
            "zab_fsync_seconds_count", "zab_txns_committed_total", "zab_inflight_bytes",
            "zab_learner_lag_txns", "zab_snapshot_seconds", "zab_snapshot_bytes",
            "zab_sync_total", "zab_submits_refused_total", "zab_handshakes_refused_total"}) {
            assertTrue(text.contains(name + "{node=\"" + second + "\""), name + " in\n" + text);
        }
        assertEquals(recorder.of(PeerId.of(second)).commitLatency().count(),
                value(text, "zab_commit_latency_seconds_count\\{node=\"" + second + "\"\\}"));
        assertEquals(1, value(text, "zab_role\\{node=\"" + second + "\",role=\"leading\"\\}"));
        assertEquals(1, value(text, "zab_submits_refused_total\\{node=\"" + second
                + "\",reason=\"txn_too_large\"\\}"));
        assertEquals(expected, value(text, "zab_txns_committed_total\\{node=\"" + second
                + "\"\\}"));
        assertEquals(2, value(text, "zab_handshakes_refused_total\\{node=\"" + second
                + "\"\\}"));

        ObjectName bean = recorder.registerJmx(nodes.get(second));
        try {
            Object committed = ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(bean, "TxnsCommitted");
            assertEquals(expected, committed);
            assertEquals("LEADING", ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(bean, "Role"));
        } finally {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(bean);
        }

        any.close();
        ExecutionException closed = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> any.submit(ByteBuffer.wrap(new byte[1]))
                        .get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, closed.getCause());
        assertEquals(1, recorder.of(PeerId.of(second)).refused(ZabMetrics.Refusal.CLOSED));
    }

    @Test
    void aLookingNodeSaysWhoItCannotHear() throws Exception {
        ZabNode alone = start(1, false);
        await("an explanation", () -> alone.status().explanation().startsWith("looking"));
        String why = alone.status().explanation();
        assertTrue(why.contains("hears 0 of 2 other voters"), why);
        assertTrue(why.contains("2 never heard") && why.contains("3 never heard"), why);
        start(2, false);
        await("a leader", () -> nodes.values().stream().allMatch(n -> n.status()
                .broadcasting()));
        // The explanation is refreshed once a tick.
        await("the leader's explanation", () -> leader().status().explanation()
                .contains("2 of 3 voters in broadcast"));
        assertTrue(leader().status().lastElection().isPresent());
        alone.close();
        assertEquals("closed", alone.status().explanation());
    }

    private String prometheus(ZabNode node) throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        recorder.writePrometheus(node, out);
        return out.toString();
    }

    private static long value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        assertTrue(m.find(), series + " in\n" + text);
        return (long) Double.parseDouble(m.group(1));
    }
}
