package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.protocol.message.Ping;
import io.zab.transport.RecordingReceiver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test: client threads open connections to a node with a peer secret as
 * fast as they can, each refused (no secret, a wrong secret, or garbage), for
 * {@code zab.bench.seconds} (default 5) per kind, and the refusals per second the node absorbed
 * are printed, with a message exchanged with a real member after each kind. Off unless
 * {@code -Dzab.bench=true}. Nothing is asserted about speed. Client and node share the machine.
 */
@EnabledIfSystemProperty(named = "zab.bench", matches = "true")
class RefusalBench {
    private static final byte[] SECRET = "a-cluster-secret-of-some-length!".getBytes(
            StandardCharsets.US_ASCII);
    private static final byte[] WRONG = "not-the-secret-but-just-as-long!".getBytes(
            StandardCharsets.US_ASCII);

    @Test
    void refusals() throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        RecordingReceiver r1 = new RecordingReceiver();
        RecordingReceiver r2 = new RecordingReceiver();
        NettyTransport node = new NettyTransport(TestNet.config(peers).peerSecret(SECRET).build());
        NettyTransport other = new NettyTransport(TestNet.config(peers).peerSecret(SECRET)
                .build());
        int seconds = Integer.getInteger("zab.bench.seconds", 5);
        int clients = Integer.getInteger("zab.bench.clients", 4);
        try {
            node.start(PeerId.of(1), r1);
            other.start(PeerId.of(2), r2);
            for (String kind : List.of("warm-up (garbage)", "garbage", "no-secret",
                    "wrong-secret")) {
                long before = r1.handshakesRefused();
                AtomicLong done = new AtomicLong();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    // From member 2's own address (the same-host attack): the address check
                    // passes and the secret is what refuses them.
                    int octet = 12;
                    Thread th = new Thread(() -> {
                        while (System.nanoTime() < end) {
                            try (RawPeer raw = new RawPeer(TestNet.loopback(octet),
                                    peers.get(PeerId.of(1)))) {
                                once(raw, kind);
                                done.incrementAndGet();
                            } catch (Exception e) {
                                // a reset or a refused connect under load: try again
                            }
                        }
                    });
                    th.start();
                    threads.add(th);
                }
                for (Thread th : threads) {
                    th.join(TimeUnit.SECONDS.toMillis(seconds + 30));
                }
                long refused = r1.handshakesRefused() - before;
                other.send(PeerId.of(1), new Ping(2, 1));
                boolean alive = r1.take(Duration.ofSeconds(10)).message() != null;
                System.out.printf("refusal bench: %s: %d refused in %d s = %.0f/s (clients saw"
                        + " %d); the member's message got through: %s%n", kind, refused,
                        seconds, refused / (double) seconds, done.get(), alive);
                assertTrue(alive);
            }
        } finally {
            node.close();
            other.close();
        }
    }

    private static void once(RawPeer raw, String kind) throws Exception {
        switch (kind) {
            case "warm-up (garbage)":
            case "garbage":
                raw.write(new byte[] {0, 0, 0, 0, 0, 0, 0, 0});
                break;
            case "no-secret":
                raw.write(RawPeer.hello(TestNet.CLUSTER, 2));
                break;
            default:
                PeerSecretTest.withSecret(raw, WRONG, 2);
                break;
        }
        raw.awaitClosedByPeer();
    }
}
