package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import io.zab.storage.LogCapture;
import io.zab.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the runtime hands the core's peers to the transport: addresses read without a lookup on
 * the protocol thread, names resolved off it, an unusable address left out with an ERROR, a set
 * given only when it changed, and a transport with fixed peers tolerated while the set is its
 * own.
 */
class TransportPeersTest {
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);
    private static final PeerId THREE = PeerId.of(3);

    /** Records what it is given; or refuses, as a transport with fixed peers does. */
    private static final class Recording implements Transport {
        final List<Map<PeerId, InetSocketAddress>> given = new ArrayList<>();
        final boolean fixed;

        Recording(boolean fixed) {
            this.fixed = fixed;
        }

        @Override
        public void start(PeerId self, Receiver receiver) {
        }

        @Override
        public void send(PeerId to, Message message) {
        }

        @Override
        public void updatePeers(Map<PeerId, InetSocketAddress> peers) {
            if (fixed) {
                Transport.super.updatePeers(peers);
            }
            given.add(peers);
        }

        @Override
        public void close() {
        }
    }

    private final LinkedBlockingQueue<TransportPeers.Resolved> posted =
            new LinkedBlockingQueue<>();
    private TransportPeers peers;

    @AfterEach
    void close() {
        if (peers != null) {
            peers.close();
        }
    }

    private TransportPeers create(Recording t, Map<PeerId, InetSocketAddress> configured) {
        peers = new TransportPeers(ONE, t, configured, posted::add, "test-resolver");
        return peers;
    }

    private static InetSocketAddress ip(String literal, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(literal), port);
    }

    @Test
    void literalAddressesAreGivenAtOnceAndOnlyWhenTheSetChanges() throws Exception {
        Recording t = new Recording(false);
        TransportPeers p = create(t, Map.of());
        p.changed(Map.of(TWO, "10.0.0.2:2888", THREE, "[fe80::1]:2889"));
        assertEquals(List.of(Map.of(TWO, ip("10.0.0.2", 2888), THREE, ip("fe80::1", 2889))),
                t.given);
        p.changed(Map.of(TWO, "10.0.0.2:2888", THREE, "[fe80::1]:2889"));
        p.changed(Map.of(TWO, "10.0.0.2:2888", THREE, "[FE80:0::1]:2889")); // same address
        assertEquals(1, t.given.size());
        p.changed(Map.of(TWO, "10.0.0.2:2888"));
        assertEquals(Map.of(TWO, ip("10.0.0.2", 2888)), t.given.get(1));
        assertTrue(posted.isEmpty(), "nothing was resolved off the protocol thread");
    }

    @Test
    void anUnusableAddressIsLeftOutWithAnErrorNamingPeerAndAddress() throws Exception {
        Recording t = new Recording(false);
        TransportPeers p = create(t, Map.of());
        try (LogCapture log = new LogCapture(TransportPeers.class)) {
            p.changed(Map.of(TWO, "10.0.0.2:2888", THREE, "10.0.0.300:2888"));
            assertEquals(List.of("node 1: peer 3 has the address '10.0.0.300:2888', which"
                    + " cannot be used (not an IPv4 address); it is left out of the transport's"
                    + " peers"), log.warnings());
        }
        assertEquals(List.of(Map.of(TWO, ip("10.0.0.2", 2888))), t.given);
    }

    @Test
    void addressFormsThatCannotBeRead() {
        for (String bad : new String[] {"", "host", "host:", ":2888", "host:0", "host:65536",
                "host:28a8", "::1:2888", "[::1]2888", "[::1:2888", "[nonsense]:2888",
                "[127.0.0.1]:2888", "1.2.3:2888", "01234.1.1.1:2888", "bad host:2888",
                "h\u00e9te:2888"}) {
            assertThrows(IllegalArgumentException.class,
                    () -> TransportPeers.Address.parse(bad), bad);
        }
        TransportPeers.Address name = TransportPeers.Address.parse("zk-1.example_x:2888");
        assertNull(name.literal);
        assertEquals("zk-1.example_x", name.host);
        assertEquals(2888, name.port);
        assertNotNull(TransportPeers.Address.parse("[::1]:1").literal);
    }

    @Test
    void formatIsWhatParseReads() throws Exception {
        for (InetSocketAddress a : List.of(ip("10.1.2.3", 7), ip("::1", 65535),
                InetSocketAddress.createUnresolved("zk-3.example", 2888))) {
            TransportPeers.Address back = TransportPeers.Address.parse(TransportPeers.format(a));
            assertEquals(a.getPort(), back.port);
            if (back.literal != null) {
                assertEquals(a, back.literal);
            } else {
                assertEquals(a.getHostString(), back.host);
            }
        }
        assertEquals("[0:0:0:0:0:0:0:1]:2888", TransportPeers.format(ip("::1", 2888)));
    }

    @Test
    void namesAreResolvedOffTheProtocolThreadAndTheNewestSetWins() throws Exception {
        Recording t = new Recording(false);
        TransportPeers p = create(t, Map.of());
        p.changed(Map.of(TWO, "localhost:2888", THREE, "10.0.0.3:2888"));
        assertTrue(t.given.isEmpty(), "a lookup must not run on the protocol thread");
        TransportPeers.Resolved first = posted.poll(10, TimeUnit.SECONDS);
        assertNotNull(first, "the resolver posted nothing");
        assertEquals(InetAddress.getByName("localhost"), first.peers().get(TWO).getAddress());
        assertEquals(ip("10.0.0.3", 2888), first.peers().get(THREE));

        p.changed(Map.of(THREE, "10.0.0.3:2888")); // asked for after the lookup began
        p.resolved(first); // superseded: not given
        assertEquals(List.of(Map.of(THREE, ip("10.0.0.3", 2888))), t.given);
    }

    @Test
    void aNameTheStaticConfigurationResolvedIsNotLookedUpAgain() throws Exception {
        Recording t = new Recording(false);
        InetSocketAddress two = new InetSocketAddress("localhost", 2888);
        TransportPeers p = create(t, Map.of(TWO, two));
        p.changed(Map.of(TWO, "localhost:2888"));
        assertEquals(List.of(Map.of(TWO, two)), t.given);
        assertTrue(posted.isEmpty());
    }

    @Test
    void anAddressAsConfiguredIsTakenAsConfiguredEvenIfNotDialable() throws Exception {
        Recording t = new Recording(false);
        InetSocketAddress portZero = ip("127.0.0.1", 0); // an in-process test's
        TransportPeers p = create(t, Map.of(TWO, portZero));
        p.changed(Map.of(TWO, TransportPeers.format(portZero)));
        assertEquals(List.of(Map.of(TWO, portZero)), t.given);
    }

    @Test
    void aTransportWithFixedPeersIsWarnedAboutOnceWhileTheSetIsItsOwn() throws Exception {
        Recording t = new Recording(true);
        Map<PeerId, InetSocketAddress> own = Map.of(TWO, ip("10.0.0.2", 2888));
        TransportPeers p = create(t, own);
        try (LogCapture log = new LogCapture(TransportPeers.class)) {
            p.changed(Map.of(TWO, "10.0.0.2:2888"));
            p.changed(Map.of(TWO, "10.0.0.2:2888"));
            assertEquals(1, log.warnings().size(), log.warnings().toString());
            assertTrue(log.warnings().get(0).startsWith("node 1: Recording has a fixed set of"
                    + " peers: its peers stay the configured ones"), log.warnings().get(0));
            p.changed(Map.of(TWO, "10.0.0.2:2888", THREE, "10.0.0.3:2888"));
            assertEquals(2, log.warnings().size());
            assertTrue(log.warnings().get(1).contains("this node keeps talking to [2] only"),
                    log.warnings().get(1));
        }
    }
}
