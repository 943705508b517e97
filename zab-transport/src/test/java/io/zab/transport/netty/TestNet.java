package io.zab.transport.netty;

import io.zab.PeerId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
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
}
