package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.zab.PeerId;
import io.zab.transport.RecordingReceiver;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.Handshake.Status;
import io.zab.transport.netty.codec.PeerAuth;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two nodes with a peer secret, connected over real sockets, and strangers on the same host:
 * a raw client from node 2's own address (so the address check passes) claiming sid 2 without
 * the secret or with another one is refused before any message is read, node 1's link to the
 * real node 2 stays up, and messages keep flowing. Also: the cap on pending handshakes, the
 * refusal counter and the once-a-minute log rule (on a fake clock).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerSecretTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);
    private static final byte[] SECRET = "a-cluster-secret-of-some-length!".getBytes(
            StandardCharsets.US_ASCII);
    private static final byte[] WRONG = "not-the-secret-but-just-as-long!".getBytes(
            StandardCharsets.US_ASCII);
    private static final int MAX_PENDING = 4;

    private final AtomicLong clock = new AtomicLong();
    private final RecordingReceiver r1 = new RecordingReceiver();
    private final RecordingReceiver r2 = new RecordingReceiver();
    private Map<PeerId, InetSocketAddress> peers;
    private NettyTransport node1;
    private NettyTransport node2;
    private long round;

    @BeforeAll
    void start() throws Exception {
        peers = TestNet.layout(3);
        node1 = new NettyTransport(TestNet.config(peers).peerSecret(SECRET)
                .pendingHandshakesMax(MAX_PENDING).nanoTime(clock::get).build());
        node2 = new NettyTransport(TestNet.config(peers).peerSecret(SECRET).build());
        node1.start(ONE, r1);
        node2.start(TWO, r2);
        exchange();
    }

    @AfterAll
    void stop() {
        node1.close();
        node2.close();
    }

    @BeforeEach
    void aMinutePasses() {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(61));
    }

    @Test
    void membersWithTheSecretTalk() throws Exception {
        long before = r1.handshakesRefused(); // other tests of this instance refuse strangers
        exchange();
        assertEquals(before, r1.handshakesRefused());
    }

    @Test
    void impostorsFromTheSameHostNeverReplaceTheLiveConnection() throws Exception {
        exchange();
        long refusedBefore = r1.handshakesRefused();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 20; i++) {
                // One stranger per address at a time here (a quarter of MAX_PENDING): the last
                // one's slot is freed on the node's loop, which may lag our seeing the close.
                awaitPending(0);
                try (RawPeer raw = new RawPeer(TestNet.hostOf(2), peers.get(ONE))) {
                    raw.write(RawPeer.hello(TestNet.CLUSTER, 2)); // no nonce: no secret
                    Handshake reply = raw.readHandshake();
                    assertEquals(Status.REJECT, reply.status());
                    assertEquals("sent no authentication, and this node requires the peer"
                            + " secret", reply.reason());
                    assertTrue(raw.awaitClosedByPeer());
                }
                awaitPending(0);
                try (RawPeer raw = new RawPeer(TestNet.hostOf(2), peers.get(ONE))) {
                    assertEquals(Status.REJECT, withSecret(raw, WRONG, 2).status());
                    assertTrue(raw.awaitClosedByPeer());
                }
            }
            // Forty refusals from one address within the minute: one line.
            List<String> lines = log.awaitWarnings(1, DEADLINE);
            assertEquals(1, lines.size(), "warnings " + lines);
            assertTrue(lines.get(0).contains(": sent no authentication"), lines.get(0));
        }
        awaitRefused(refusedBefore + 40);
        exchange(); // fails on any disconnect of 2 at node 1: the live connection stayed
    }

    @Test
    void theRealSecretFromARawClientIsAccepted() throws Exception {
        // Sid 3 is configured but not running: a client with the secret may act as it.
        try (RawPeer raw = new RawPeer(TestNet.hostOf(3), peers.get(ONE))) {
            assertEquals(Status.ACCEPT, withSecret(raw, SECRET, 3).status());
        }
        r1.awaitDisconnect(PeerId.of(3), DEADLINE);
        exchange();
    }

    @Test
    void pendingHandshakesAreCappedAndAnOverflowIsClosedAtOnce() throws Exception {
        long refusedBefore = r1.handshakesRefused();
        List<RawPeer> silent = new ArrayList<>();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < MAX_PENDING; i++) {
                silent.add(new RawPeer(TestNet.loopback(50 + i), peers.get(ONE)));
            }
            awaitPending(MAX_PENDING);
            try (RawPeer extra = new RawPeer(TestNet.loopback(60), peers.get(ONE))) {
                assertTrue(extra.awaitClosedByPeer(), "the connection over the cap stayed");
            }
            awaitRefused(refusedBefore + 1);
            assertEquals(List.of(MAX_PENDING + " connections are already in their handshake"),
                    log.awaitWarnings(1, DEADLINE).stream()
                            .map(w -> w.substring(w.indexOf(": ") + 2, w.indexOf(';')))
                            .collect(java.util.stream.Collectors.toList()));
            exchange(); // members are not held up: their connection is established
        } finally {
            for (RawPeer p : silent) {
                p.close();
            }
        }
        awaitPending(0);
    }

    /** One address gets a quarter of the slots (here 1 of 4): it cannot lock the members out. */
    @Test
    void oneAddressTakesAtMostAQuarterOfThePendingSlots() throws Exception {
        long refusedBefore = r1.handshakesRefused();
        try (LogCapture log = new LogCapture();
                RawPeer first = new RawPeer(TestNet.loopback(70), peers.get(ONE))) {
            awaitPending(1);
            try (RawPeer second = new RawPeer(TestNet.loopback(70), peers.get(ONE))) {
                assertTrue(second.awaitClosedByPeer(), "a second stranger from one address stayed");
            }
            awaitRefused(refusedBefore + 1);
            assertEquals(List.of("1 connections from this address are already in their"
                    + " handshake"), log.awaitWarnings(1, DEADLINE).stream()
                            .map(w -> w.substring(w.indexOf(": ") + 2, w.indexOf(';')))
                            .collect(java.util.stream.Collectors.toList()));
            try (RawPeer other = new RawPeer(TestNet.loopback(71), peers.get(ONE))) {
                awaitPending(2); // another address still gets a slot
            }
            exchange();
        }
        awaitPending(0);
    }

    @Test
    void aRefusalAMinuteLaterIsLoggedWithTheCountInBetween() throws Exception {
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 3; i++) {
                refuseGarbageFrom(70);
            }
            assertEquals(1, log.awaitWarnings(1, DEADLINE).size());
            clock.addAndGet(TimeUnit.SECONDS.toNanos(61));
            refuseGarbageFrom(70);
            List<String> lines = log.awaitWarnings(2, DEADLINE);
            assertTrue(lines.get(1).endsWith("(2 more refused from this address in the last"
                    + " minute, not logged: at most one line a minute per address)"),
                    lines.get(1));
            refuseGarbageFrom(71); // another address has its own minute
            assertEquals(3, log.awaitWarnings(3, DEADLINE).size());
        }
    }

    private void refuseGarbageFrom(int lastOctet) throws Exception {
        long before = r1.handshakesRefused();
        try (RawPeer raw = new RawPeer(TestNet.loopback(lastOctet), peers.get(ONE))) {
            raw.write(new byte[] {0, 0, 0, 0, 0, 0, 0, 0});
            assertTrue(raw.awaitClosedByPeer());
        }
        awaitRefused(before + 1);
    }

    /** Runs the dialer's side of the authenticated handshake with {@code secret}. */
    static Handshake withSecret(RawPeer raw, byte[] secret, int sid) throws Exception {
        PeerAuth auth = new PeerAuth(secret, new SecureRandom());
        byte[] nonce = auth.nonce();
        raw.write(bytes(Handshake.hello(TestNet.CLUSTER, sid, false, nonce)));
        Handshake challenge = raw.readHandshake();
        assertEquals(Status.CHALLENGE, challenge.status(), "reply " + challenge);
        byte[] mac = auth.mac(PeerAuth.Side.DIALER, TestNet.CLUSTER, sid, challenge.sid(),
                nonce, challenge.nonce());
        raw.write(bytes(Handshake.proof(TestNet.CLUSTER, sid, mac)));
        return raw.readHandshake();
    }

    private static byte[] bytes(Handshake hs) {
        ByteBuf b = hs.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private void awaitRefused(long n) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (r1.handshakesRefused() < n && System.nanoTime() < end) {
            Thread.sleep(5); // polling a condition with a deadline
        }
        assertEquals(n, r1.handshakesRefused());
    }

    private void awaitPending(int n) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (node1.pendingHandshakes() != n && System.nanoTime() < end) {
            Thread.sleep(5); // polling a condition with a deadline
        }
        assertEquals(n, node1.pendingHandshakes());
    }

    private void exchange() throws Exception {
        TestNet.exchange(node1, r1, node2, r2, ++round, DEADLINE);
    }
}
