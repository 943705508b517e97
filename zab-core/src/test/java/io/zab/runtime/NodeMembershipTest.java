package io.zab.runtime;

import static io.zab.storage.Txns.txn;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.RoleListener;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.protocol.PersistentState;
import io.zab.protocol.Txn;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import io.zab.testing.RecordingStateMachine;
import io.zab.transport.LoopbackNetwork;
import io.zab.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The runtime's side of membership: the starting membership and delivery of changes. */
class NodeMembershipTest {
    private static ZabConfig config() {
        return ZabConfig.builder().peerId(1).tickIntervalMs(20)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101))
                .voter(2, InetSocketAddress.createUnresolved("zab-2.example", 7102))
                .voter(3, new InetSocketAddress("127.0.0.1", 7103))
                .observer(9, InetSocketAddress.createUnresolved("zab-9.example", 7109)).build();
    }

    @Test
    void theStaticMembershipIsTheConfigsMembersAtVersionZero() {
        Membership m = NodeWiring.staticMembership(config());
        assertEquals(Zxid.ZERO, m.version());
        assertEquals(Map.of(PeerId.of(1), "127.0.0.1:7101", PeerId.of(2), "zab-2.example:7102",
                PeerId.of(3), "127.0.0.1:7103"), m.voters());
        assertEquals(Map.of(PeerId.of(9), "zab-9.example:7109"), m.observers());
    }

    @Test
    void theCoreStartsFromTheSavedMembershipOrElseTheStaticOne() {
        PersistentState none = new PersistentState(2, 1, z(1, 3), List.of(txn(1, 4)));
        PersistentState filled = NodeWiring.startState(config(), none);
        assertEquals(NodeWiring.staticMembership(config()), filled.membership());
        assertEquals(List.of(2L, 1L), List.of(filled.acceptedEpoch(), filled.currentEpoch()));
        assertEquals(none.snapshotZxid(), filled.snapshotZxid());
        assertEquals(none.log(), filled.log());
        Membership saved = io.zab.storage.Txns.membershipTxn(z(1, 2)).newMembership();
        PersistentState kept = new PersistentState(2, 1, z(1, 3), List.of(), saved);
        assertSame(kept, NodeWiring.startState(config(), kept));
    }

    /** A transport that carries nothing, with frames of {@code max} bytes. */
    private static Transport framesOf(int max) {
        return new Transport() {
            @Override
            public void start(PeerId self, Receiver receiver) {
            }

            @Override
            public void send(PeerId to, io.zab.protocol.message.Message message) {
            }

            @Override
            public int maxMessageBytes() {
                return max;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void aNodeRefusesFramesTooSmallForTheLargestMembershipChange() throws Exception {
        ZabConfig c = ZabConfig.builder().peerId(1).maxTxnBytes(1024)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101)).build();
        int needed = io.zab.codec.MessageCodec.txnMessageBytes(1024);
        assertTrue(needed > 64 * 1024, "the largest membership dominates a 1 KiB txn limit");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NodeWiring().config(c).stateMachine(new RecordingStateMachine())
                        .transport(framesOf(needed - 1))
                        .electionFactory(io.zab.election.QuorumMaxElection::new).build());
        assertTrue(e.getMessage().contains("at least " + needed)
                && !e.getMessage().contains("lower maxTxnBytes"), e.getMessage());
        new NodeWiring().config(c).stateMachine(new RecordingStateMachine())
                .transport(framesOf(needed))
                .electionFactory(io.zab.election.QuorumMaxElection::new).build().close();
    }

    private static String text(Txn t) {
        return new String(t.data(), StandardCharsets.UTF_8);
    }

    @Test
    void aDeliveredMembershipTxnReachesTheRoleListenersNeverTheStateMachine()
            throws Exception {
        ZabConfig c = ZabConfig.builder().peerId(1).tickIntervalMs(20)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101)).build();
        // The same single voter: whatever the core makes of the change, it still leads alone.
        Txn change = Txn.membershipChange(z(1, 2), NodeWiring.staticMembership(c));
        MemoryTxnLog log = new MemoryTxnLog();
        log.append(List.of(txn(1, 1), change, txn(1, 3)));
        log.sync();
        MemoryEpochStore epochs = new MemoryEpochStore();
        epochs.save(1, 1);
        RecordingStateMachine sm = new RecordingStateMachine();
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        ZabNode node = new NodeWiring().config(c).stateMachine(sm)
                .transport(new LoopbackNetwork().transport())
                .electionFactory(io.zab.election.QuorumMaxElection::new)
                .stores(log, epochs, new MemorySnapshotStore(), new MemoryMembershipStore())
                .build();
        node.addRoleListener(new RoleListener() {
            @Override
            public void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
            }

            @Override
            public void onMembershipChanged(Membership committed) {
                heard.add(committed.version() + " on " + Thread.currentThread().getName());
            }
        });
        try {
            node.start();
            node.whenReady().get(30, TimeUnit.SECONDS);
            Zxid after = node.submit(ByteBuffer.wrap(new byte[] {7})).get(30, TimeUnit.SECONDS)
                    .zxid();
            assertTrue(after.isAfter(z(1, 3)), "delivered after the recovered history");
            assertEquals(List.of(text(txn(1, 1)), text(txn(1, 3)), "\u0007"), sm.values(),
                    "the host sees its own txns only");
            assertEquals(1, heard.size(), heard.toString());
            assertTrue(heard.get(0).startsWith(z(1, 2) + " on ")
                    && heard.get(0).contains("-deliver"), heard.get(0));
            assertEquals(after, node.status().lastDeliveredZxid());
        } finally {
            node.close();
        }
    }

    /**
     * A looking node whose history ends with a change that is not known committed says so: a
     * leader then needs a quorum of the old voters and of the new ones. Voters 2 and 3 never
     * answer, so node 1 looks all along.
     */
    @Test
    void aLookingNodeSaysAChangeIsInFlight() throws Exception {
        ZabConfig c = ZabConfig.builder().peerId(1).tickIntervalMs(20)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101))
                .voter(2, InetSocketAddress.createUnresolved("zab-2.example", 7102))
                .voter(3, InetSocketAddress.createUnresolved("zab-3.example", 7103)).build();
        ZabConfig next = ZabConfig.builder().peerId(1).tickIntervalMs(20)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101))
                .voter(2, InetSocketAddress.createUnresolved("zab-2.example", 7102))
                .voter(4, InetSocketAddress.createUnresolved("zab-4.example", 7104)).build();
        MemoryTxnLog log = new MemoryTxnLog();
        log.append(List.of(txn(1, 1),
                Txn.membershipChange(z(1, 2), NodeWiring.staticMembership(next))));
        log.sync();
        MemoryEpochStore epochs = new MemoryEpochStore();
        epochs.save(1, 1);
        ZabNode node = new NodeWiring().config(c).stateMachine(new RecordingStateMachine())
                .transport(new LoopbackNetwork().transport())
                .electionFactory(io.zab.election.QuorumMaxElection::new)
                .stores(log, epochs, new MemorySnapshotStore(), new MemoryMembershipStore())
                .build();
        try {
            node.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!node.status().explanation().contains("in flight")
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            String why = node.status().explanation();
            assertTrue(why.startsWith("looking for a leader") && why.contains("a change to"
                    + " voters [1, 2, 4] is in flight: a leader needs a quorum of the old voters"
                    + " and of the new ones") && !why.contains("cannot be elected"), why);
        } finally {
            node.close();
        }
    }

    @Test
    void thePendingBudgetIsSharedAmongTheMembersInForceNotTheConfiguredOnes() throws Exception {
        // Configured with three voters (100 / 3 = 33 requests); the membership recovered from
        // disk has five members (100 / 5 = 20). Voters 2 and 3 never answer: the node looks
        // for a leader all along, holding timed submits within their wait.
        ZabConfig c = ZabConfig.builder().peerId(1).tickIntervalMs(20).proposalsInflightMax(100)
                .voter(1, new InetSocketAddress("127.0.0.1", 7101))
                .voter(2, InetSocketAddress.createUnresolved("zab-2.example", 7102))
                .voter(3, InetSocketAddress.createUnresolved("zab-3.example", 7103)).build();
        assertEquals(33, c.pendingMaxTxns());
        Membership configured = NodeWiring.staticMembership(c);
        Map<PeerId, String> observers = Map.of(PeerId.of(8), "zab-8.example:7108",
                PeerId.of(9), "zab-9.example:7109");
        Txn change = Txn.membershipChange(z(1, 2),
                new Membership(Zxid.ZERO, configured.voters(), observers));
        MemoryTxnLog log = new MemoryTxnLog();
        log.append(List.of(txn(1, 1), change));
        log.sync();
        MemoryEpochStore epochs = new MemoryEpochStore();
        epochs.save(1, 1);
        MemoryMembershipStore saved = new MemoryMembershipStore();
        saved.save(change.newMembership());
        ZabNode node = new NodeWiring().config(c).stateMachine(new RecordingStateMachine())
                .transport(new LoopbackNetwork().transport())
                .electionFactory(io.zab.election.QuorumMaxElection::new)
                .stores(log, epochs, new MemorySnapshotStore(), saved).build();
        try {
            node.start();
            List<java.util.concurrent.CompletableFuture<?>> held = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                held.add(node.submit(ByteBuffer.wrap(new byte[] {1}),
                        java.time.Duration.ofSeconds(60)));
            }
            assertEquals(20, node.status().pendingRequests());
            var refused = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> node.submit(ByteBuffer.wrap(new byte[] {2})).get(10, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof io.zab.ZabException.OverloadedException
                    && refused.getCause().getMessage().contains("pendingMaxTxns 20,"),
                    refused.getCause().toString());
            held.forEach(f -> assertTrue(!f.isDone(), "held for a leader: " + f));
        } finally {
            node.close();
        }
    }
}
