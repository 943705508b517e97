package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.testing.RecordingStateMachine;
import io.zab.transport.LoopbackNetwork;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Three real nodes (real threads, in-process network, memory stores). */
class ZabNodeLoopbackTest {
    private final LoopbackNetwork network = new LoopbackNetwork();
    private final Map<Integer, ZabNode> nodes = new TreeMap<>();
    private final Map<Integer, RecordingStateMachine> machines = new TreeMap<>();
    private int syncLimitTicks = 50;

    /**
     * Short ticks for a quick election, but a whole second of silence before a follower gives
     * up its leader: with the default 5 ticks (100 ms) one stall of a busy CI machine cost a
     * write its acknowledgement.
     */
    private ZabConfig config(int id) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).tickIntervalMs(20)
                .syncLimitTicks(syncLimitTicks).initLimitTicks(50);
        for (int i = 1; i <= 3; i++) {
            b.voter(i, new InetSocketAddress("127.0.0.1", 7000 + i));
        }
        return b.build();
    }

    private ZabNode start(int id) throws Exception {
        RecordingStateMachine sm = new RecordingStateMachine();
        ZabNode n = new NodeWiring().config(config(id)).stateMachine(sm)
                .transport(network.transport())
                .electionFactory(io.zab.election.QuorumMaxElection::new).build().start();
        nodes.put(id, n);
        machines.put(id, sm);
        return n;
    }

    @AfterEach
    void closeAll() {
        nodes.values().forEach(ZabNode::close);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private ZabNode leader() {
        for (ZabNode n : nodes.values()) {
            if (n.status().role() == Role.LEADING && n.status().broadcasting()) {
                return n;
            }
        }
        return null;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void replicatesThroughEveryNodeAndSurvivesTheLeadersLoss() throws Exception {
        for (int i = 1; i <= 3; i++) {
            start(i);
        }
        await("a leader", () -> leader() != null
                && nodes.values().stream().allMatch(n -> n.status().broadcasting()));
        List<CompletableFuture<SubmitResult>> futures = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            futures.add(nodes.get(1 + i % 3).submit(bytes("v" + i)));
        }
        Zxid last = Zxid.ZERO;
        for (CompletableFuture<SubmitResult> f : futures) {
            last = Zxid.max(last, f.get(30, TimeUnit.SECONDS).zxid());
        }
        Zxid end = last;
        await("every node delivered", () -> machines.values().stream()
                .allMatch(m -> m.last().equals(end)));
        assertEquals(machines.get(1).values(), machines.get(2).values());
        assertEquals(machines.get(1).values(), machines.get(3).values());
        assertEquals(1000, machines.get(1).values().size());

        ZabNode old = leader();
        int oldId = old.id().value();
        old.close();
        nodes.remove(oldId);
        // Every survivor in broadcast: the leader is before its follower has UPTODATE, and a
        // follower refuses submits until then.
        await("a new leader", () -> leader() != null && leader() != old
                && nodes.values().stream().allMatch(n -> n.status().broadcasting()));
        ZabNode survivor = nodes.values().iterator().next();
        SubmitResult r = survivor.submit(bytes("after")).get(30, TimeUnit.SECONDS);
        assertTrue(r.zxid().epoch() > end.epoch(), "a new epoch: " + r.zxid());
        Zxid synced = survivor.sync().get(30, TimeUnit.SECONDS);
        assertTrue(!synced.isBefore(r.zxid()), "sync covers the acknowledged write");
        assertEquals("after", machines.get(survivor.id().value()).values().get(1000));
    }

    @Test
    void rejectsOversizedTxnsAndFailsPendingWorkOnClose() throws Exception {
        for (int i = 1; i <= 3; i++) {
            start(i);
        }
        await("a leader", () -> leader() != null);
        ZabNode n = leader();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> n.submit(ByteBuffer.allocate((1 << 20) + 1)).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.TxnTooLargeException.class, e.getCause());
        n.close();
        e = assertThrows(ExecutionException.class,
                () -> n.submit(bytes("late")).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, e.getCause());
    }

    @Test
    void aTxnInFlightWhenTheNodeClosesHasAnUnknownOutcomeAndLaterCallsAreRefused()
            throws Exception {
        syncLimitTicks = 500; // the leader must not give up its silent followers first
        for (int i = 1; i <= 3; i++) {
            start(i);
        }
        await("a leader", () -> leader() != null
                && nodes.values().stream().allMatch(n -> n.status().broadcasting()));
        ZabNode l = leader();
        // The leader proposes, but no ACK can come back: the txn stays in flight.
        for (ZabNode n : nodes.values()) {
            if (n != l) {
                network.blackhole(l.id(), n.id());
            }
        }
        CompletableFuture<SubmitResult> inFlight = l.submit(bytes("in flight"));
        CompletableFuture<Zxid> sync = l.sync();
        Thread.sleep(100);
        assertTrue(!inFlight.isDone() && !sync.isDone(), "nothing can complete without acks");
        l.close();
        // A follower may already log the proposal, and a new leader may commit it: a caller
        // told "never applied" could write it twice.
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> inFlight.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.OutcomeUnknownException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        e = assertThrows(ExecutionException.class, () -> sync.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, e.getCause());
        e = assertThrows(ExecutionException.class,
                () -> l.submit(bytes("late")).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, e.getCause());
    }

    @Test
    void aLoneNodeHasNoLeaderAndSaysSo() throws Exception {
        ZabNode n = start(1);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> n.submit(bytes("x")).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.NotLeaderException.class, e.getCause());
        assertEquals(Role.LOOKING, n.role());
        assertNotNull(e.getCause().getMessage());
        assertNotEquals(PeerId.of(2), n.id());
    }

    /**
     * whenReady() is all a host needs before serving: it completes with the leader once the
     * node is synced (no polling of status()), and a node that stops first fails it.
     */
    @Test
    void whenReadyCompletesOnceTheNodeServesAndFailsIfItClosesFirst() throws Exception {
        ZabNode lone = start(1);
        java.util.concurrent.CompletableFuture<PeerId> loneReady = lone.whenReady();
        TimeUnit.MILLISECONDS.sleep(300);
        assertFalse(loneReady.isDone(), "no quorum, no leader: not ready");
        nodes.remove(1);
        lone.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> loneReady.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, e.getCause());

        ZabNode two = start(2);
        ZabNode three = start(3);
        PeerId leader = two.whenReady().get(10, TimeUnit.SECONDS);
        assertEquals(leader, three.whenReady().get(10, TimeUnit.SECONDS));
        // Ready means a write goes through at once, with no retry loop around it.
        assertNotNull(two.submit(bytes("right away")).get(10, TimeUnit.SECONDS));
        assertNotNull(three.submit(bytes("and here")).get(10, TimeUnit.SECONDS));
    }

    /** Without zab-election or zab-transport on the class path, build() names what to add. */
    @Test
    void aMissingElectionOrTransportIsNamedAtBuild() {
        RecordingStateMachine sm = new RecordingStateMachine();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new NodeWiring()
                .config(config(1)).stateMachine(sm).transport(network.transport()).build());
        assertTrue(e.getMessage().contains("io.zab:zab-election"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new NodeWiring()
                .config(config(1)).stateMachine(sm)
                .electionFactory(io.zab.election.QuorumMaxElection::new).build());
        assertTrue(e.getMessage().contains("io.zab:zab-transport"), e.getMessage());
    }
}
