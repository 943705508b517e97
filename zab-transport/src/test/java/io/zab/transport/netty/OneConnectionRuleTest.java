package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.zab.PeerId;
import io.zab.protocol.message.Ping;
import io.zab.transport.RecordingReceiver;
import io.zab.transport.RecordingReceiver.Event;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every node dials every other at the same instant: exactly one connection per pair must
 * survive (the higher sid's dial), and no message may be lost or reordered on the way, so no
 * disconnect may be reported either.
 */
class OneConnectionRuleTest {
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final int MESSAGES = 200;

    private final Map<PeerId, NettyTransport> nodes = new HashMap<>();
    private final Map<PeerId, RecordingReceiver> receivers = new HashMap<>();

    @AfterEach
    void stop() {
        nodes.values().forEach(NettyTransport::close);
        nodes.clear();
        receivers.clear();
    }

    @Test
    void simultaneousDialsBetweenTwoNodes() throws Exception {
        for (int round = 0; round < 5; round++) {
            startCluster(2);
            blastAllToAll();
            assertOneConnectionPerPair();
            stop();
        }
    }

    @Test
    void simultaneousDialsAmongThreeNodes() throws Exception {
        startCluster(3);
        blastAllToAll();
        assertOneConnectionPerPair();
        // The surviving connections keep carrying traffic.
        blastAllToAll();
        assertOneConnectionPerPair();
    }

    private void startCluster(int size) throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(size);
        for (PeerId id : peers.keySet()) {
            NettyTransport t = new NettyTransport(TestNet.config(peers).build());
            RecordingReceiver r = new RecordingReceiver();
            t.start(id, r);
            nodes.put(id, t);
            receivers.put(id, r);
        }
    }

    /** Every node sends MESSAGES pings to every other, all threads released at once. */
    private void blastAllToAll() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        List<Future<?>> sent = new ArrayList<>();
        try {
            for (PeerId from : nodes.keySet()) {
                sent.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < MESSAGES; i++) {
                        for (PeerId to : nodes.keySet()) {
                            if (!to.equals(from)) {
                                nodes.get(from).send(to, new Ping(from.value(), i));
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : sent) {
                f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (PeerId at : nodes.keySet()) {
            Map<PeerId, Long> next = new HashMap<>();
            for (int n = 0; n < MESSAGES * (nodes.size() - 1); n++) {
                Event e = receivers.get(at).take(DEADLINE);
                assertFalse(e.isDisconnect(), "node " + at + " lost peer " + e.peer());
                Ping p = (Ping) e.message();
                long expected = next.getOrDefault(e.peer(), 0L);
                assertEquals(new Ping(e.peer().value(), expected), p, "at node " + at);
                next.put(e.peer(), expected + 1);
            }
        }
    }

    private void assertOneConnectionPerPair() throws Exception {
        for (PeerId a : nodes.keySet()) {
            for (PeerId b : nodes.keySet()) {
                if (a.compareTo(b) >= 0) {
                    continue;
                }
                Channel low = nodes.get(a).connectionTo(b);
                Channel high = nodes.get(b).connectionTo(a);
                assertNotNull(low, a + " has no connection to " + b);
                assertNotNull(high, b + " has no connection to " + a);
                // Both ends hold the same TCP connection...
                assertEquals(low.localAddress(), high.remoteAddress());
                assertEquals(low.remoteAddress(), high.localAddress());
                // ...and it is the one the higher sid dialed (to the lower sid's listener).
                assertEquals(nodes.get(a).localAddress(), high.remoteAddress());
                assertTrue(low.isActive() && high.isActive());
            }
        }
    }
}
