package io.zab.it.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three members of the counter, each in its own thread as each would be in its own process,
 * over Netty on the loopback with Fast Leader Election: all found through the installed
 * artifacts alone. Every member submits right after {@code start()}, while there is no leader
 * yet, and every txn commits.
 */
class CounterNodeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void eachMemberAddsRightAfterStartAndAllThreeAgreeOnTheTotal() throws Exception {
        List<InetSocketAddress> members = freeLoopbackAddresses(3);
        ExecutorService hosts = Executors.newFixedThreadPool(3);
        // Filled by the joins themselves, so a member that started is closed whatever failed.
        Queue<CounterNode> started = new ConcurrentLinkedQueue<>();
        try {
            List<Future<CounterNode>> joins = new ArrayList<>();
            for (int id = 1; id <= 3; id++) {
                int self = id;
                joins.add(hosts.submit(() -> {
                    CounterNode member = CounterNode.join(self, members, dir.resolve("n" + self),
                            self);
                    started.add(member);
                    return member;
                }));
            }
            List<CounterNode> nodes = new ArrayList<>();
            for (Future<CounterNode> join : joins) {
                nodes.add(join.get(100, TimeUnit.SECONDS));
            }

            // Member i added i. In zxid order, each txn's result is the sum of those before it
            // and its own: one order of delivery, on whichever member submitted.
            nodes.sort(Comparator.comparing(member -> member.added().zxid()));
            long total = 0;
            Zxid previous = null;
            for (CounterNode member : nodes) {
                Zxid zxid = member.added().zxid();
                assertTrue(previous == null || previous.isBefore(zxid), "three txns, three zxids");
                total += member.node().id().value();
                assertEquals(total, member.added().value(), "the counter right after " + zxid);
                assertFalse(member.readPoint().isBefore(zxid), "the sync after a write covers it");
                previous = zxid;
            }

            for (CounterNode member : nodes) {
                member.node().sync(Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
                assertEquals(6, member.counter().value(), "all three adds, on every member");
                int leader = member.node().whenReady().get(30, TimeUnit.SECONDS).value();
                assertTrue(leader >= 1 && leader <= 3, "a member leads: " + leader);
            }
        } finally {
            hosts.shutdownNow();
            hosts.awaitTermination(30, TimeUnit.SECONDS);
            started.forEach(CounterNode::close);
        }
    }

    /**
     * Loopback addresses whose ports were free a moment ago. They are drawn below Linux's
     * ephemeral range (32768 and up), where the kernel would not hand one to an outgoing
     * connection before the member that is to listen on it binds it.
     */
    private static List<InetSocketAddress> freeLoopbackAddresses(int n) throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        List<InetSocketAddress> addresses = new ArrayList<>();
        while (addresses.size() < n) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            try (ServerSocket probe = new ServerSocket(port, 1, loopback)) {
                InetSocketAddress address = new InetSocketAddress(loopback, port);
                if (!addresses.contains(address)) {
                    addresses.add(address);
                }
            } catch (IOException taken) {
                // In use: draw another.
            }
        }
        return addresses;
    }
}
