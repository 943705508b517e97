package io.zab.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.election.fle.FastLeaderElection;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.testing.RecordingStateMachine;
import io.zab.testing.SmallTmpfs;
import io.zab.transport.netty.NettyTransport;
import io.zab.transport.netty.NettyTransportConfig;
import io.zab.runtime.NodeWiring;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume path with the real parts: three in-process nodes over {@link NettyTransport} with
 * Fast Leader Election, built as the server command builds them (transport and election
 * factories). One follower's data directory is on a 1 MiB tmpfs (needs root; skipped
 * otherwise) that the test fills: the follower leaves, the other two go on, and once space is
 * freed it binds its port again with a fresh transport, rejoins through a fresh election and
 * catches up.
 */
class ResumeOverNettyTest {
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path tmp;

    @Test
    void aFollowerOnAFullDiskLeavesAndComesBackOverNettyWithFle() throws Exception {
        Map<Integer, ZabNode> nodes = new TreeMap<>();
        Map<Integer, RecordingStateMachine> machines = new TreeMap<>();
        // Resources close in reverse: the nodes let go of their files before the unmount.
        try (SmallTmpfs disk = SmallTmpfs.mount("netty-resume");
                AutoCloseable stopNodes = () -> nodes.values().forEach(ZabNode::close)) {
            Map<PeerId, InetSocketAddress> peers = new TreeMap<>();
            for (int i = 1; i <= 3; i++) {
                peers.put(PeerId.of(i), new InetSocketAddress("127.0.0.1", freePort()));
            }
            for (int i = 1; i <= 3; i++) {
                Path dir = i == 1 ? disk.resolve("node1") : tmp.resolve("node" + i);
                machines.put(i, new RecordingStateMachine());
                nodes.put(i, start(i, dir, peers, machines.get(i)));
            }
            await("a leader", () -> leader(nodes) != null
                    && nodes.values().stream().allMatch(n -> n.status().broadcasting()));
            ZabNode leader = leader(nodes);
            ZabNode victim = nodes.get(1);
            assertNotEquals(victim, leader, "FLE should pick the highest sid");
            List<String> acked = new ArrayList<>(write(leader, "a", 20));

            Path filler = disk.fill("filler");
            for (int n = 0; victim.failure().isEmpty() && n < 2000; n++) {
                acked.addAll(write(leader, "b" + n + "-", 10));
            }
            assertTrue(victim.failure().isPresent(), "the victim's disk never filled");
            acked.addAll(write(leader, "c", 20));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> victim.submit(bytes("refused")).get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertInstanceOf(ZabException.RecoveringException.class, e.getCause());

            Files.delete(filler);
            await("the victim resumed", () -> victim.resumes() >= 1
                    && victim.failure().isEmpty() && victim.status().broadcasting()
                    && victim.role() == Role.FOLLOWING);
            acked.addAll(write(victim, "d", 20));
            Zxid end = leader.sync().get(WAIT_SECONDS, TimeUnit.SECONDS);
            await("every node caught up", () -> nodes.values().stream()
                    .allMatch(n -> !n.lastDeliveredZxid().isBefore(end)));
            List<String> expected = machines.get(3).values();
            assertEquals(expected, machines.get(1).values());
            assertEquals(expected, machines.get(2).values());
            assertTrue(expected.containsAll(acked), "an acknowledged write was lost");
        }
    }

    private static ZabNode start(int id, Path dir, Map<PeerId, InetSocketAddress> peers,
            StateMachine sm) throws Exception {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).dataDir(dir).tickIntervalMs(50)
                .syncLimitTicks(40).initLimitTicks(60);
        peers.forEach((p, a) -> b.voter(p.value(), a));
        NettyTransportConfig net = NettyTransportConfig.builder().clusterId("resume-test")
                .peers(peers).reconnectBackoffMs(20, 200).build();
        FileStorage.Options small = new FileStorage.Options(
                new FileTxnLog.Options(64 * 1024, true), 2, 100_000, 1L << 30);
        return new NodeWiring().config(b.build()).stateMachine(sm)
                .fileStorage(small, FileIo.REAL)
                .transportFactory(() -> new NettyTransport(net))
                .electionFactory(FastLeaderElection::new).build().start();
    }

    private static ZabNode leader(Map<Integer, ZabNode> nodes) {
        return nodes.values().stream().filter(n -> n.role() == Role.LEADING
                && n.status().broadcasting()).findFirst().orElse(null);
    }

    private static List<String> write(ZabNode via, String prefix, int count) throws Exception {
        List<CompletableFuture<?>> futures = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(prefix + i);
            futures.add(via.submit(bytes(prefix + i)));
        }
        for (CompletableFuture<?> f : futures) {
            f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        return values;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Below the ephemeral range, where no outgoing connection takes it before we bind. */
    private static int freePort() throws IOException {
        return io.zab.testkit.FreePorts.pick(1)[0];
    }

    private static void await(String what, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting for "
                        + what);
            }
            Thread.sleep(10);
        }
    }
}
