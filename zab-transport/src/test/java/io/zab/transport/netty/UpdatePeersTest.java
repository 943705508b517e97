package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.PeerId;
import io.zab.protocol.message.Ping;
import io.zab.testkit.FreePorts;
import io.zab.transport.RecordingReceiver;
import io.zab.transport.RecordingReceiver.Event;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NettyTransport#updatePeers} over real sockets: a sid the node does not know is refused
 * until it is added, then talks both ways; once removed its link closes at both ends (each told
 * once) and it is refused again; a peer that moves is dialed at its new address and must then
 * connect from there. Member {@code i} listens on 127.0.0.(10 + i) (a moved member 2 on
 * 127.0.0.22) at a port from {@link FreePorts}.
 */
class UpdatePeersTest {
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);

    private final List<NettyTransport> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (NettyTransport t : toClose) {
            t.close();
        }
    }

    private static InetSocketAddress at(int lastOctet) throws Exception {
        return new InetSocketAddress(TestNet.loopback(lastOctet), FreePorts.pick(1)[0]);
    }

    private NettyTransport start(Map<PeerId, InetSocketAddress> peers, PeerId id,
            RecordingReceiver r) throws Exception {
        NettyTransport t = new NettyTransport(TestNet.config(peers).build());
        toClose.add(0, t);
        t.start(id, r);
        return t;
    }

    @Test
    void anUnknownPeerIsRefusedUntilAddedAndAgainOnceRemoved() throws Exception {
        InetSocketAddress a = at(11);
        InetSocketAddress b = at(12);
        RecordingReceiver ra = new RecordingReceiver();
        RecordingReceiver rb = new RecordingReceiver();
        NettyTransport one = start(Map.of(ONE, a), ONE, ra); // knows nobody yet
        NettyTransport two = start(Map.of(ONE, a, TWO, b), TWO, rb);

        two.send(ONE, new Ping(2, 0));
        rb.awaitDisconnect(ONE, DEADLINE); // refused: the ping was dropped, loudly
        awaitRefusals(ra, 1);
        assertTrue(ra.drain().isEmpty(), "one heard from a sid it does not know");
        // Not a peer yet (as while a new member's host name is resolved): dropped, no error.
        one.send(TWO, new Ping(1, 0));
        assertNull(one.connectionTo(TWO));

        one.updatePeers(Map.of(TWO, b));
        probe(two, ONE, ra);
        probe(one, TWO, rb);

        long refusedBefore = ra.handshakesRefused();
        one.updatePeers(Map.of());
        ra.awaitDisconnect(TWO, DEADLINE);
        rb.awaitDisconnect(ONE, DEADLINE);
        one.send(TWO, new Ping(1, 99)); // a member that just left: dropped, not a bug
        two.send(ONE, new Ping(2, 99));
        rb.awaitDisconnect(ONE, DEADLINE);
        awaitRefusals(ra, refusedBefore + 1);
        assertTrue(ra.drain().isEmpty(), "one heard more of two after its one disconnect");
        assertNull(one.connectionTo(TWO));
    }

    @Test
    void aPeerThatMovesIsDialedAtItsNewAddressAndMustConnectFromThere() throws Exception {
        InetSocketAddress a = at(11);
        InetSocketAddress oldB = at(12);
        InetSocketAddress newB = at(22);
        RecordingReceiver ra = new RecordingReceiver();
        RecordingReceiver rOld = new RecordingReceiver();
        RecordingReceiver rNew = new RecordingReceiver();
        NettyTransport one = start(Map.of(ONE, a, TWO, oldB), ONE, ra);
        NettyTransport stale = start(Map.of(ONE, a, TWO, oldB), TWO, rOld);
        probe(stale, ONE, ra);
        NettyTransport moved = start(Map.of(ONE, a, TWO, newB), TWO, rNew);

        one.updatePeers(Map.of(TWO, newB));
        ra.awaitDisconnect(TWO, DEADLINE);
        rOld.awaitDisconnect(ONE, DEADLINE);
        // One has the lower sid: its dial to the new address is answered DIAL_BACK, and the
        // moved member's dial back, from 127.0.0.22, passes the address check.
        awaitConnection(one, TWO, newB);
        probe(one, TWO, rNew);
        probe(moved, ONE, ra);

        long refusedBefore = ra.handshakesRefused();
        stale.send(ONE, new Ping(2, 7)); // from the old address: no longer sid 2's
        rOld.awaitDisconnect(ONE, DEADLINE);
        awaitRefusals(ra, refusedBefore + 1);
        for (Event e : ra.drain()) {
            assertTrue(!new Ping(2, 7).equals(e.message()), "the old address got through");
        }
    }

    @Test
    void updatePeersRefusesThisNodeAndUndialableAddresses() throws Exception {
        InetSocketAddress a = at(11);
        NettyTransport one = new NettyTransport(TestNet.config(Map.of(ONE, a)).build());
        assertThrows(IllegalStateException.class, () -> one.updatePeers(Map.of()));
        toClose.add(one);
        one.start(ONE, new RecordingReceiver());
        assertThrows(IllegalArgumentException.class, () -> one.updatePeers(Map.of(ONE, a)));
        assertThrows(IllegalArgumentException.class, () -> one.updatePeers(Map.of(TWO,
                InetSocketAddress.createUnresolved("two.invalid", 2888))));
        assertThrows(IllegalArgumentException.class, () -> one.updatePeers(Map.of(TWO,
                new InetSocketAddress(TestNet.loopback(12), 0))));
    }

    /** Sends pings to {@code to} until one arrives at its receiver {@code r}; bounded. */
    private static void probe(NettyTransport sender, PeerId to, RecordingReceiver r)
            throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        for (long round = 1; round <= 200 && System.nanoTime() < end; round++) {
            sender.send(to, new Ping(7, round));
            for (Event e; (e = r.poll(Duration.ofMillis(100))) != null; ) {
                if (new Ping(7, round).equals(e.message())) {
                    return;
                }
            }
        }
        fail("no ping reached peer " + to + " within " + DEADLINE);
    }

    private static void awaitRefusals(RecordingReceiver r, long atLeast)
            throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (r.handshakesRefused() < atLeast && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(r.handshakesRefused() >= atLeast, "refusals: " + r.handshakesRefused());
    }

    private static void awaitConnection(NettyTransport t, PeerId peer,
            InetSocketAddress remote) throws Exception {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < end) {
            io.netty.channel.Channel ch = t.connectionTo(peer);
            if (ch != null) {
                InetSocketAddress got = (InetSocketAddress) ch.remoteAddress();
                assertEquals(remote.getAddress(), got.getAddress(), "connected to " + got);
                return;
            }
            Thread.sleep(10);
        }
        fail("no connection to " + peer + " within " + DEADLINE);
    }
}
