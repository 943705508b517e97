package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.PeerId;
import io.zab.protocol.message.Ping;
import io.zab.transport.RecordingReceiver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Address layout for tests: member {@code i} lives on 127.0.0.(10 + i), the one-address-per-node
 * layout a per-address firewall rule can isolate, with an ephemeral port picked at layout time.
 */
final class TestNet {
    static final String CLUSTER = "test";

    private TestNet() {
    }

    static InetAddress loopback(int lastOctet) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastOctet});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static InetAddress hostOf(int sid) {
        return loopback(10 + sid);
    }

    static InetSocketAddress freeAddress(InetAddress host) {
        try (ServerSocket s = new ServerSocket(0, 1, host)) {
            s.setReuseAddress(true);
            return new InetSocketAddress(host, s.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<PeerId, InetSocketAddress> layout(int size) {
        Map<PeerId, InetSocketAddress> out = new TreeMap<>();
        for (int i = 1; i <= size; i++) {
            out.put(PeerId.of(i), freeAddress(hostOf(i)));
        }
        return out;
    }

    /** Fast timeouts so failure paths run in milliseconds. */
    static NettyTransportConfig.Builder config(Map<PeerId, InetSocketAddress> peers) {
        return NettyTransportConfig.builder()
                .clusterId(CLUSTER)
                .peers(peers)
                .connectTimeoutMs(2_000)
                .handshakeTimeoutMs(3_000)
                .reconnectBackoffMs(20, 200)
                .jitterSeed(42);
    }

    /**
     * Members 1 and 2 each send the other a PING of {@code round} and each receives it: proof
     * that both directions of their link work (the same assertions wherever it is called).
     */
    static void exchange(NettyTransport one, RecordingReceiver atOne,
            NettyTransport two, RecordingReceiver atTwo, long round,
            Duration deadline) throws InterruptedException {
        PeerId id1 = PeerId.of(1);
        PeerId id2 = PeerId.of(2);
        one.send(id2, new Ping(1, round));
        two.send(id1, new Ping(2, round));
        assertEquals(new Ping(1, round), atTwo.nextFrom(id1, deadline));
        assertEquals(new Ping(2, round), atOne.nextFrom(id2, deadline));
    }
}
