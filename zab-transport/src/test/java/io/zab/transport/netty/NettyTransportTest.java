package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapChunk;
import io.zab.transport.RecordingReceiver;
import io.zab.transport.RecordingReceiver.Event;
import io.zab.transport.netty.codec.Handshake;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** NettyTransport behaviour beyond the contract: limits, loss reporting, replacement, config. */
class NettyTransportTest {
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);
    private static final PeerId THREE = PeerId.of(3);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private NettyTransport start(NettyTransportConfig config, PeerId id, RecordingReceiver r)
            throws Exception {
        NettyTransport t = new NettyTransport(config);
        toClose.add(0, t);
        t.start(id, r);
        return t;
    }

    @Test
    void nativeEpollIsUsedWhenAvailableAndNioInteroperates() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        RecordingReceiver r1 = new RecordingReceiver();
        RecordingReceiver r2 = new RecordingReceiver();
        NettyTransport native1 = start(TestNet.config(peers).build(), ONE, r1);
        NettyTransport nio2 = start(TestNet.config(peers).preferNativeTransport(false).build(),
                TWO, r2);
        assertEquals(Epoll.isAvailable(), native1.usesEpoll());
        assertFalse(nio2.usesEpoll());
        native1.send(TWO, new Ping(1, 1));
        assertEquals(new Ping(1, 1), r2.take(DEADLINE).message());
        nio2.send(ONE, new Ping(2, 1));
        assertEquals(new Ping(2, 1), r1.take(DEADLINE).message());
    }

    @Test
    void outgoingConnectionsLeaveFromTheNodesOwnAddress() throws Exception {
        // Unbound, a connection to 127.0.0.11 would leave from 127.0.0.1 (the loopback route's
        // source): node 1 would refuse it, and no per-address firewall rule could cut one link.
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        RecordingReceiver r1 = new RecordingReceiver();
        NettyTransport t1 = start(TestNet.config(peers).build(), ONE, r1);
        NettyTransport t2 = start(TestNet.config(peers).build(), TWO, new RecordingReceiver());
        t2.send(ONE, new Ping(2, 1));
        assertEquals(new Ping(2, 1), r1.take(DEADLINE).message());
        InetSocketAddress from = (InetSocketAddress) t1.connectionTo(TWO).remoteAddress();
        assertEquals(TestNet.hostOf(2), from.getAddress(), "source of node 2's connection");
        InetSocketAddress local = (InetSocketAddress) t2.connectionTo(ONE).localAddress();
        assertEquals(TestNet.hostOf(2), local.getAddress(), "node 2's end of the connection");
    }

    /** A snapshot larger than any frame goes as SNAP and chunks of ordinary size, in order. */
    @Test
    void aSnapshotLargerThanAFrameGoesInChunks() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        RecordingReceiver r2 = new RecordingReceiver();
        NettyTransport t1 = start(TestNet.config(peers).build(), ONE, new RecordingReceiver());
        start(TestNet.config(peers).build(), TWO, r2);
        byte[] state = new byte[3 << 20];
        for (int i = 0; i < state.length; i++) {
            state[i] = (byte) (i * 31);
        }
        int chunk = 256 << 10;
        t1.send(TWO, new Snap(4, new Zxid(4, 9), state.length, 0));
        for (int at = 0; at < state.length; at += chunk) {
            t1.send(TWO, new SnapChunk(4, new Zxid(4, 9), at,
                    java.util.Arrays.copyOfRange(state, at, at + chunk)));
        }
        t1.send(TWO, new Commit(new Zxid(4, 9)));
        assertEquals(new Snap(4, new Zxid(4, 9), state.length, 0), r2.take(DEADLINE).message());
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        for (int at = 0; at < state.length; at += chunk) {
            SnapChunk c = (SnapChunk) r2.take(DEADLINE).message();
            assertEquals(at, c.offset());
            got.write(c.data());
        }
        assertArrayEquals(state, got.toByteArray());
        assertEquals(new Commit(new Zxid(4, 9)), r2.take(DEADLINE).message());
    }

    @Test
    void aMessageAboveTheFrameLimitIsNotSentAndItsLossIsReported() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        RecordingReceiver r1 = new RecordingReceiver();
        RecordingReceiver r2 = new RecordingReceiver();
        NettyTransport t1 = start(TestNet.config(peers).build(), ONE, r1);
        start(TestNet.config(peers).build(), TWO, r2);
        t1.send(TWO, new Ping(1, 0));
        assertEquals(new Ping(1, 0), r2.take(DEADLINE).message());
        try (LogCapture log = new LogCapture()) {
            Request huge = new Request(1, new byte[(1 << 20) + 1024]);
            t1.send(TWO, huge);
            r1.awaitDisconnect(TWO, DEADLINE);
            r2.awaitDisconnect(ONE, DEADLINE);
            String warning = log.awaitWarnings(1, DEADLINE).get(0);
            assertTrue(warning.endsWith(": cannot send Request: " + MessageCodec.encodedSize(huge)
                    + " bytes exceed the frame limit of 1049600; closing the connection"),
                    warning);
        }
        long round = 1;
        Event e;
        do { // the link reconnects on the next send; early probes may be dropped, loudly
            t1.send(TWO, new Ping(1, ++round));
            e = r2.poll(Duration.ofMillis(300));
        } while ((e == null || e.isDisconnect()) && round < 50);
        assertTrue(e != null && e.message() instanceof Ping, "no delivery after the loss");
    }

    @Test
    void aFullOutboundQueueIsDroppedWithTheConnectionAndReported() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        // Peer 2's address answers TCP but never the handshake: the link stays connecting.
        try (ServerSocket silent = new ServerSocket(peers.get(TWO).getPort(), 50,
                peers.get(TWO).getAddress())) {
            assertTrue(silent.isBound());
            RecordingReceiver r1 = new RecordingReceiver();
            NettyTransport t1 = start(TestNet.config(peers).outboundQueueMessages(8).build(),
                    ONE, r1);
            try (LogCapture log = new LogCapture()) { // after start's "no peer secret" WARN
                for (int i = 0; i < 9; i++) {
                    t1.send(TWO, new Ping(1, i));
                }
                Event e = r1.take(DEADLINE);
                assertTrue(e.isDisconnect() && e.peer().equals(TWO), "got " + e);
                assertEquals("Peer 2: outbound queue full (8 messages); dropping it with the"
                        + " connection", log.awaitWarnings(1, DEADLINE).get(0));
            }
        }
    }

    @Test
    void messagesDroppedWithoutAConnectionMakeThePeerReportADisconnectFirst() throws Exception {
        for (PeerId sender : List.of(ONE, TWO)) {
            PeerId other = sender.equals(ONE) ? TWO : ONE;
            Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
            RecordingReceiver rs = new RecordingReceiver();
            NettyTransport ts = start(TestNet.config(peers).build(), sender, rs);
            ts.send(other, new Ping(9, 0)); // nobody listens: dropped, reported here
            rs.awaitDisconnect(other, DEADLINE);
            RecordingReceiver ro = new RecordingReceiver();
            start(TestNet.config(peers).build(), other, ro);
            long round = 0;
            Event first;
            do { // until the sender's backoff is over and a message gets through
                ts.send(other, new Ping(9, ++round));
                first = ro.poll(Duration.ofMillis(300));
            } while (first == null && round < 50);
            // The other side never saw the lost message, but it hears about the loss first.
            assertTrue(first != null && first.isDisconnect() && first.peer().equals(sender),
                    "sender " + sender + ": first event " + first);
            Event next = ro.take(DEADLINE);
            assertTrue(next.message() instanceof Ping, "then the message: " + next);
            closeAll();
            toClose.clear();
        }
    }

    @Test
    void aVerifiedNewConnectionReplacesTheOldOneWithADisconnectInBetween() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(3);
        RecordingReceiver r1 = new RecordingReceiver();
        NettyTransport t1 = start(TestNet.config(peers).build(), ONE, r1);
        try (RawPeer first = new RawPeer(TestNet.hostOf(3), peers.get(ONE));
                RawPeer second = new RawPeer(TestNet.hostOf(3), peers.get(ONE))) {
            first.handshakeAs(3); // e.g. peer 3 before a restart we have not noticed
            second.handshakeAs(3); // peer 3 after it
            assertTrue(first.awaitClosedByPeer(), "the old connection must be closed");
            r1.awaitDisconnect(THREE, DEADLINE);
            t1.send(THREE, new Ping(1, 7));
            assertEquals(new Ping(1, 7), readMessage(second));
        }
    }

    @Test
    void aDialBackRequestWhileConnectedKeepsTheLiveConnection() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(3);
        RecordingReceiver r1 = new RecordingReceiver();
        RecordingReceiver r3 = new RecordingReceiver();
        NettyTransport t1 = start(TestNet.config(peers).build(), ONE, r1);
        NettyTransport t3 = start(TestNet.config(peers).build(), THREE, r3);
        t3.send(ONE, new Ping(3, 0));
        assertEquals(new Ping(3, 0), r1.take(DEADLINE).message());
        // A late dial from sid 1 (as when both ends dial at once) gets DIAL_BACK...
        try (RawPeer late = new RawPeer(TestNet.hostOf(1), peers.get(THREE))) {
            late.write(RawPeer.hello(TestNet.CLUSTER, 1));
            assertEquals(Handshake.Status.DIAL_BACK, late.readHandshake().status());
            assertTrue(late.awaitClosedByPeer());
        }
        // ...and the live connection stays, with nothing lost in either direction.
        t1.send(THREE, new Ping(1, 1));
        assertEquals(new Ping(1, 1), r3.take(DEADLINE).message());
        t3.send(ONE, new Ping(3, 1));
        assertEquals(new Ping(3, 1), r1.take(DEADLINE).message());
    }

    /**
     * Sending before start or to itself is a bug. Sending to a node that is no peer is not:
     * a membership can name a new member before its address reaches updatePeers (see
     * TransportContract); the message is dropped.
     */
    @Test
    void sendingBeforeStartOrToItselfIsABugAndToANonPeerIsDropped() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        NettyTransport t1 = new NettyTransport(TestNet.config(peers).build());
        assertThrows(IllegalStateException.class, () -> t1.send(TWO, new Ping(1, 1)));
        start(TestNet.config(peers).build(), ONE, new RecordingReceiver());
        NettyTransport started = (NettyTransport) toClose.get(0);
        assertThrows(IllegalArgumentException.class, () -> started.send(ONE, new Ping(1, 1)));
        started.send(PeerId.of(7), new Ping(1, 1));
    }

    @Test
    void configurationErrorsNameTheKey() {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(1);
        assertEquals("clusterId must be 1 to 255 UTF-8 bytes: null", assertThrows(
                IllegalArgumentException.class, () -> NettyTransportConfig.builder().peers(peers)
                        .build()).getMessage());
        assertEquals("maxFrameBytes must be at least 64: 10", assertThrows(
                IllegalArgumentException.class, () -> TestNet.config(peers)
                        .maxFrameBytes(10).build()).getMessage());
        assertEquals("reconnectBackoffMaxMs must be at least 50: 10", assertThrows(
                IllegalArgumentException.class, () -> TestNet.config(peers)
                        .reconnectBackoffMs(50, 10).build()).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TestNet.config(peers)
                .peer(TWO, new InetSocketAddress("127.0.0.1", 0)).build()).getMessage()
                .startsWith("peers[2] must be a resolved address with a fixed port"));
    }

    @Test
    void backoffGrowsExponentiallyWithJitterAndResets() {
        Backoff b = new Backoff(100, 1_000, new java.util.SplittableRandom(1));
        long[] ceilings = {100, 200, 400, 800, 1_000, 1_000};
        for (long ceiling : ceilings) {
            long d = b.nextDelayMs();
            assertTrue(d >= ceiling / 2 && d <= ceiling, d + " not in [" + ceiling / 2 + ", "
                    + ceiling + "]");
        }
        b.reset();
        assertTrue(b.nextDelayMs() <= 100);
        Backoff same = new Backoff(100, 1_000, new java.util.SplittableRandom(1));
        Backoff again = new Backoff(100, 1_000, new java.util.SplittableRandom(1));
        assertEquals(same.nextDelayMs(), again.nextDelayMs()); // seeded: replayable
    }

    private static Message readMessage(RawPeer raw) throws Exception {
        return raw.readMessage();
    }
}
