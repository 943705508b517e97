package io.zab.transport.netty;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.Proposal;
import io.zab.transport.Transport;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test: one node streams messages to another over loopback and prints the
 * rate. Off unless {@code -Dzab.bench=true}; see the module README for the command. Nothing is
 * asserted about speed.
 */
@EnabledIfSystemProperty(named = "zab.bench", matches = "true")
class ThroughputBench {
    @Test
    void pings() throws Exception {
        run(Integer.getInteger("zab.bench.messages", 500_000), 0);
    }

    @Test
    void proposalsOf4KiB() throws Exception {
        run(Integer.getInteger("zab.bench.messages", 500_000) / 10, 4096);
    }

    private static void run(int n, int payload) throws Exception {
        Map<PeerId, InetSocketAddress> peers = TestNet.layout(2);
        byte[] data = new byte[payload];
        for (int rep = 0; rep < 3; rep++) {
            CountDownLatch done = new CountDownLatch(n + 1);
            AtomicInteger disconnects = new AtomicInteger();
            NettyTransport a = new NettyTransport(TestNet.config(peers)
                    .outboundQueueMessages(n + 1).build());
            NettyTransport b = new NettyTransport(TestNet.config(peers).build());
            try {
                a.start(PeerId.of(1), new Counting(new CountDownLatch(0), disconnects));
                b.start(PeerId.of(2), new Counting(done, disconnects));
                a.send(PeerId.of(2), new Ping(1, -1));
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    a.send(PeerId.of(2), payload == 0 ? new Ping(1, i)
                            : new Proposal(new Txn(new Zxid(1, i + 1), data), null, i));
                }
                boolean all = done.await(120, TimeUnit.SECONDS);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("bench epoll=%s messages=%d payload=%dB: %.0f msg/s, %.1f MB/s"
                        + "%s%n", a.usesEpoll(), n, payload, n / s, n * (double) payload / s / 1e6,
                        all && disconnects.get() == 0 ? "" : " (INCOMPLETE)");
            } finally {
                a.close();
                b.close();
            }
        }
    }

    private static final class Counting implements Transport.Receiver {
        private final CountDownLatch latch;
        private final AtomicInteger disconnects;

        Counting(CountDownLatch latch, AtomicInteger disconnects) {
            this.latch = latch;
            this.disconnects = disconnects;
        }

        @Override
        public void onMessage(PeerId from, Message message) {
            latch.countDown();
        }

        @Override
        public void onDisconnected(PeerId peer) {
            disconnects.incrementAndGet();
        }
    }
}
