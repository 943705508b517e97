package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslHandler;
import io.zab.PeerId;
import io.zab.ZabConfig;
import io.zab.protocol.message.Ping;
import io.zab.transport.RecordingReceiver;
import io.zab.transport.RecordingReceiver.Event;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS: nodes 1 and 2 (node 2 wired from a {@code ZabConfig}'s TLS files) hold certificates
 * the CA signed (CN zab-1, zab-2) and talk; a node whose certificate no CA signed is refused; so
 * is a node whose CA-signed certificate names a different sid than it claims; node 1 keeps
 * talking to node 2 throughout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);
    private static final PeerId THREE = PeerId.of(3);

    @TempDir
    static Path dir;
    private TestCerts certs;
    private Map<PeerId, InetSocketAddress> peers;
    private NettyTransport node1;
    private NettyTransport node2;
    private final RecordingReceiver r1 = new RecordingReceiver();
    private final RecordingReceiver r2 = new RecordingReceiver();
    private long round;

    private NettyTransportConfig.Tls rogue;
    /** Node 1's clock for its once-a-minute refusal log: a minute passes before each test. */
    private final AtomicLong clock = new AtomicLong();

    @BeforeAll
    void startTrustedNodes() throws Exception {
        // keytool runs are JVM starts: run the independent ones side by side.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            certs = new TestCerts(dir);
            Future<NettyTransportConfig.Tls> one = pool.submit(() -> certs.signed("zab-1"));
            Future<NettyTransportConfig.Tls> two = pool.submit(() -> certs.signed("zab-2"));
            rogue = certs.selfSigned("zab-3");
            peers = TestNet.layout(3);
            node1 = new NettyTransport(TestNet.config(peers).tls(one.get(60, TimeUnit.SECONDS))
                    .handshakeTimeoutMs(10_000).nanoTime(clock::get).build());
            node2 = fromZabConfig(TWO, two.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        node1.start(ONE, r1);
        node2.start(TWO, r2);
    }

    @BeforeEach
    void aMinutePasses() {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(61));
    }

    @AfterAll
    void stopNodes() {
        if (node1 != null) {
            node1.close();
        }
        if (node2 != null) {
            node2.close();
        }
    }

    /**
     * Node 2 is wired as a host wires it, from a {@link ZabConfig} with TLS files, so every
     * test here also checks that the default transport applies them.
     */
    private NettyTransport fromZabConfig(PeerId id, NettyTransportConfig.Tls tls) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id.value()).clusterId(TestNet.CLUSTER)
                .tls(new ZabConfig.Tls(tls.privateKeyPem(), tls.certificateChainPem(),
                        tls.trustedCaPem()));
        peers.forEach((p, address) -> b.voter(p.value(), address));
        return (NettyTransport) new NettyTransportProvider().create(b.build());
    }

    private NettyTransportConfig config(NettyTransportConfig.Tls tls) {
        // TLS handshakes on a cold, shared JVM can be slow; the limit here is not under test.
        return TestNet.config(peers).tls(tls).handshakeTimeoutMs(10_000).build();
    }

    @Test
    void peersWithCaSignedCertificatesNamingTheirSidTalk() throws Exception {
        exchange();
        SslHandler ssl = node1.connectionTo(TWO).pipeline().get(SslHandler.class);
        assertNotNull(ssl, "the connection must run over TLS");
        assertNotNull(ssl.engine().getSession().getPeerCertificates());
    }

    @Test
    void aPeerWhoseCertificateTheCaDidNotSignIsRefused() throws Exception {
        exchange();
        refusedAsThree(rogue, "TLS handshake failed: ");
        exchange();
    }

    @Test
    void aCaSignedCertificateForAnotherSidIsRefused() throws Exception {
        exchange();
        // Node "3" presents node 2's certificate: signed by the CA, but it names sid 2.
        Path key = dir.resolve("zab-2-key.pem");
        Path chain = dir.resolve("zab-2-chain.pem");
        refusedAsThree(new NettyTransportConfig.Tls(key, chain, certs.caPem),
                "claims sid 3 but its certificate names 'zab-2', not 'zab-3'");
        exchange();
    }

    @Test
    void plaintextToATlsNodeIsRefused() throws Exception {
        try (LogCapture log = new LogCapture();
                RawPeer raw = new RawPeer(TestNet.hostOf(3), peers.get(ONE))) {
            raw.write(RawPeer.hello(TestNet.CLUSTER, 3));
            assertTrue(raw.awaitClosedByPeer());
            assertEquals(List.of("Peer ? at " + raw.seenAs() + ": not a TLS record (plaintext on"
                    + " a TLS connection?); closing the connection"), awaitNode1Warning(log));
        }
        exchange();
    }

    /** Starts node 3 with {@code tls}; its dial to node 1 must be refused with one WARN. */
    private void refusedAsThree(NettyTransportConfig.Tls tls, String reasonStart)
            throws Exception {
        RecordingReceiver r3 = new RecordingReceiver();
        try (LogCapture log = new LogCapture();
                NettyTransport node3 = new NettyTransport(config(tls))) {
            node3.start(THREE, r3);
            node3.send(ONE, new Ping(3, 0));
            r3.awaitDisconnect(ONE, DEADLINE);
            List<String> atNode1 = awaitNode1Warning(log);
            assertEquals(1, atNode1.size(), "warnings " + atNode1);
            String prefix = "Peer ? at /127.0.0.13:";
            String w = atNode1.get(0);
            assertTrue(w.startsWith(prefix) && w.substring(w.indexOf(": ") + 2)
                    .startsWith(reasonStart) && w.endsWith("; closing the connection"), w);
        }
        for (Event e : r1.drain()) {
            assertFalse(e.peer().equals(THREE) && !e.isDisconnect(),
                    "node 1 delivered a message from the refused node: " + e);
        }
    }

    /** WARN lines node 1 logged about connections from node 3's address. */
    private static List<String> awaitNode1Warning(LogCapture log) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        List<String> mine = List.of();
        while (System.nanoTime() < end && mine.isEmpty()) {
            mine = log.warnings().stream().filter(w -> w.startsWith("Peer ? at /127.0.0.13:"))
                    .collect(Collectors.toList());
            Thread.sleep(5); // polling with a deadline
        }
        return mine;
    }

    private void exchange() throws Exception {
        TestNet.exchange(node1, r1, node2, r2, ++round, DEADLINE);
    }
}
