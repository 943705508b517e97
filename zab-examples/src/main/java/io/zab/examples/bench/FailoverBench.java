package io.zab.examples.bench;

import io.zab.Role;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench --failover N}: three nodes with default timing (Netty on 127.0.0.1, FLE, file
 * storage); N times, close the leader abruptly and time until a new leader has committed a
 * write; then restart the old one from its directory. {@code bench --transfer N}: the same
 * nodes under a writer, N leadership transfers, each timed from the call to a write the target
 * committed.
 */
final class FailoverBench {
    /** Writer threads of {@code --transfer}, each one write at a time. */
    private static final int TRANSFER_WRITERS = 32;

    private final Path root;
    private final int[] ports;
    private final ZabNode[] nodes = new ZabNode[4];

    FailoverBench(Path root) throws Exception {
        this.root = root;
        this.ports = io.zab.testkit.FreePorts.pick(3);
    }

    private ZabNode start(int id) throws Exception {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).dataDir(root.resolve("n" + id));
        for (int p = 1; p <= 3; p++) {
            b.voter(p, new InetSocketAddress("127.0.0.1", ports[p - 1]));
        }
        ZabConfig c = b.build();
        nodes[id] = ZabNode.builder().config(c).stateMachine(new BenchStateMachine()).build()
                .start();
        return nodes[id];
    }

    private int leader() {
        for (int id = 1; id <= 3; id++) {
            ZabNode n = nodes[id];
            if (n != null && n.status().role() == Role.LEADING && n.status().broadcasting()) {
                return id;
            }
        }
        return 0;
    }

    private static void await(String what, java.util.function.BooleanSupplier c)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    void runTransfers(int rounds, PrintStream out) throws Exception {
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        java.util.concurrent.atomic.AtomicBoolean writing =
                new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong written =
                new java.util.concurrent.atomic.AtomicLong();
        // Steady writers through every node: the transfer's cost is measured under load.
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < TRANSFER_WRITERS; t++) {
            int first = t;
            Thread writer = new Thread(() -> {
                int i = first;
                while (writing.get()) {
                    ZabNode n = nodes[1 + (i++ % 3)];
                    try {
                        n.submit(ByteBuffer.wrap(new byte[16]), java.time.Duration.ofSeconds(1))
                                .get(5, TimeUnit.SECONDS);
                        written.incrementAndGet();
                    } catch (Exception refusedOrMoved) {
                        // Refused while the leadership moves; the next one goes on.
                    }
                }
            }, "transfer-writer-" + t);
            writer.start();
            writers.add(writer);
        }
        await("writes flowing", () -> written.get() >= 1000);
        List<Double> millis = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                await("all in broadcast", () -> leader() != 0 && Arrays.stream(nodes, 1, 4)
                        .allMatch(n -> n.status().broadcasting()));
                int old = leader();
                int target = old % 3 + 1;
                long epoch = nodes[old].status().epoch();
                long t0 = System.nanoTime();
                nodes[old].transferLeadership(new io.zab.PeerId(target),
                        java.time.Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
                io.zab.SubmitResult w = nodes[target].submit(ByteBuffer.wrap(new byte[16]),
                        java.time.Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
                double ms = (System.nanoTime() - t0) / 1e6;
                if (w.zxid().epoch() <= epoch) {
                    throw new IllegalStateException("the write after the transfer committed in"
                            + " epoch " + w.zxid().epoch() + ", not after " + epoch);
                }
                millis.add(ms);
                out.printf(Locale.ROOT, "transfer %d: leader %d -> %d, %.1f ms to a write"
                        + " committed by the target%n", r + 1, old, target, ms);
            }
        } finally {
            writing.set(false);
            for (Thread w : writers) {
                w.join(10_000);
            }
        }
        double[] s = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        out.printf(Locale.ROOT, "transfer over %d rounds under writes (%d written): median %.1f"
                + " ms, p90 %.1f ms, max %.1f ms%n", s.length, written.get(), s[s.length / 2],
                s[(int) Math.ceil(s.length * 0.9) - 1], s[s.length - 1]);
        for (int id = 1; id <= 3; id++) {
            nodes[id].close();
        }
    }

    void run(int rounds, PrintStream out) throws Exception {
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        List<Double> millis = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            await("all in broadcast", () -> leader() != 0 && Arrays.stream(nodes, 1, 4)
                    .allMatch(n -> n.status().broadcasting()));
            int old = leader();
            nodes[old].submit(ByteBuffer.wrap(new byte[16])).get(30, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            nodes[old].close();
            nodes[old] = null;
            await("a new leader", () -> leader() != 0);
            int next = leader();
            nodes[next].submit(ByteBuffer.wrap(new byte[16])).get(30, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - t0) / 1e6;
            millis.add(ms);
            out.printf(Locale.ROOT, "failover %d: leader %d -> %d, %.0f ms to a committed"
                    + " write%n", r + 1, old, next, ms);
            start(old);
        }
        double[] s = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        out.printf(Locale.ROOT, "failover over %d rounds: median %.0f ms, p90 %.0f ms, max %.0f"
                + " ms%n", s.length, s[s.length / 2], s[(int) Math.ceil(s.length * 0.9) - 1],
                s[s.length - 1]);
        for (int id = 1; id <= 3; id++) {
            if (nodes[id] != null) {
                nodes[id].close();
            }
        }
    }
}
