package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.NodeStatus;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.runtime.NodeWiring;
import io.zab.storage.file.FileStorage;
import io.zab.testing.SlowForceIo;
import io.zab.testkit.TestCluster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload over real sockets and real files (issue 12): three nodes in this JVM with Netty, FLE,
 * fsync on and the default failure detection (a peer silent for 10 ticks of 100 ms is given up).
 */
class OverloadIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    /**
     * What wave 1 measured: a burst of submits at every node, far beyond the in-flight budget
     * (here 150,000 txns against 10,000 proposals in flight and 20,000 pending per node), each
     * with {@code submit(txn, 60 s)}. No role changes, no OutcomeUnknown, every txn committed,
     * and the replicas agree. (Wave 1: every node gave up its leader; 76,600 OutcomeUnknown.)
     */
    @Test
    void aBurstAtEveryNodeCommitsEverythingWithoutARoleChange() throws Exception {
        try (TestCluster<HistoryMachine> c = defaultLiveness()) {
            c.awaitLeader(Clusters.DEADLINE);
            warmUp(c);
            List<String> roleChanges = watchRoles(c);
            int perNode = 50_000;
            List<Thread> writers = new ArrayList<>();
            ConcurrentLinkedQueue<CompletableFuture<SubmitResult>> futures =
                    new ConcurrentLinkedQueue<>();
            for (int id : c.running()) {
                ZabNode node = c.node(id);
                Thread t = new Thread(() -> {
                    for (int i = 0; i < perNode; i++) {
                        ByteBuffer txn = ByteBuffer.allocate(8).putInt(id).putInt(i).flip();
                        futures.add(node.submit(txn, WAIT));
                    }
                }, "burst-" + id);
                t.start();
                writers.add(t);
            }
            for (Thread t : writers) {
                t.join(TimeUnit.MINUTES.toMillis(3));
            }
            Outcomes o = Outcomes.of(futures);
            System.out.println("burst: " + futures.size() + " submits: " + o);
            assertEquals(List.of(), roleChanges, "no role change during the burst");
            assertEquals(0, o.unknown.sum(), "no OutcomeUnknown: " + o);
            assertEquals(3L * perNode, o.committed.sum(), "every txn committed: " + o);
            c.awaitConverged(Clusters.DEADLINE);
            c.assertNoFailures();
        }
    }

    /**
     * One follower's fsync takes 200 ms for a while. The leader sends it only a window of
     * unacknowledged bytes, so it falls behind without being dropped, little queues up inside
     * it (a window, and what it acknowledged but has not applied), and the leader and the other
     * follower commit at their own pace;
     * once its disk is fast again it catches up.
     */
    @Test
    void aSlowFollowerFallsBehindInsideItsWindowAndCatchesUp() throws Exception {
        SlowForceIo slowDisk = new SlowForceIo(0);
        long window = 1 << 20;
        try (TestCluster<HistoryMachine> c = Clusters.netty(root)
                .configure(b -> b.tickIntervalMs(100).syncLimitTicks(5).initLimitTicks(10)
                        .learnerWindowBytes(window))
                .nodeFactory((config, sm) -> slowDiskUnder(1, slowDisk, config, sm))
                .start()) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            assertNotEquals(1, leader, "FLE elects the highest sid among equal histories");
            int slow = 1;
            slowDisk.delayMs(200);
            ZabNode l = c.node(leader);
            byte[] payload = new byte[1024];
            AtomicLong committed = new AtomicLong();
            long peakQueued = 0;
            long maxLag = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            List<CompletableFuture<SubmitResult>> inFlight = new ArrayList<>();
            while (System.nanoTime() < end) {
                for (int i = 0; i < 200; i++) {
                    inFlight.add(l.submit(ByteBuffer.wrap(payload), WAIT)
                            .whenComplete((r, e) -> {
                                if (e == null) {
                                    committed.incrementAndGet();
                                }
                            }));
                }
                TimeUnit.MILLISECONDS.sleep(20);
                NodeStatus s = c.node(slow).status();
                assertTrue(s.broadcasting() && s.role() == Role.FOLLOWING,
                        "the slow follower is never dropped: " + s);
                peakQueued = Math.max(peakQueued, s.queuedBytes());
                maxLag = Math.max(maxLag, l.status().lastLoggedZxid().counter()
                        - s.lastLoggedZxid().counter());
            }
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                    .get(2, TimeUnit.MINUTES);
            System.out.printf("slow follower: %d committed in 8 s, lagged up to %d txns, peak"
                    + " queued inside it %d bytes (window %d)%n", committed.get(), maxLag,
                    peakQueued, window);
            assertEquals(inFlight.size(), committed.get(), "the fast quorum committed all");
            assertTrue(maxLag > 1_000, "the slow follower fell behind: " + maxLag);
            // Inside it: at most a window not yet acknowledged (inbox and log writer), and at
            // most about as much acknowledged and committed, waiting for the state machine.
            assertTrue(peakQueued <= 2 * window + 64 * 1024 + 2 * 1024,
                    "inside the slow follower at most two windows queued: " + peakQueued);
            slowDisk.delayMs(0);
            c.awaitConverged(Clusters.DEADLINE);
            c.assertNoFailures();
        }
    }

    /**
     * Steady load within the budgets for a few seconds, so that the burst meets compiled code.
     * All three nodes share this JVM's two cores: during its first seconds the JIT compilers
     * take most of a core and every message costs ten or more times its steady price, so a
     * 500 ms failure detector would measure the compiler, not overload.
     */
    private static void warmUp(TestCluster<?> c) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<CompletableFuture<SubmitResult>> window = new ArrayList<>();
        for (int i = 0; System.nanoTime() < end; i++) {
            for (int id : c.running()) {
                ByteBuffer txn = ByteBuffer.allocate(8).putInt(-id).putInt(i).flip();
                window.add(c.node(id).submit(txn, WAIT));
            }
            if (window.size() >= 150) {
                CompletableFuture.allOf(window.toArray(CompletableFuture[]::new))
                        .get(1, TimeUnit.MINUTES);
                window.clear();
            }
        }
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
    }

    /** The library's default failure detection: 100 ms ticks, a silent peer given up after 10. */
    private TestCluster<HistoryMachine> defaultLiveness() throws Exception {
        return Clusters.netty(root).start();
    }

    /**
     * Member {@code slow}'s stores go through {@code disk}; the others are wired as a host's.
     * The file system is not a config key: this is what the kit's node factory is for.
     */
    private static ZabNode slowDiskUnder(int slow, SlowForceIo disk, ZabConfig config,
            StateMachine sm) throws IOException {
        NodeWiring w = new NodeWiring().config(config).stateMachine(sm);
        if (config.peerId().value() == slow) {
            w.fileStorage(FileStorage.Options.defaults(), disk);
        }
        return w.build();
    }

    private static List<String> watchRoles(TestCluster<?> c) {
        List<String> changes = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int id : c.running()) {
            c.node(id).addRoleListener((role, epoch, leader) -> changes.add("node " + id
                    + " " + role + " epoch " + epoch + " leader " + leader));
        }
        return changes;
    }

    /** How the futures of a run ended. */
    private static final class Outcomes {
        final LongAdder committed = new LongAdder();
        final LongAdder overloaded = new LongAdder();
        final LongAdder unknown = new LongAdder();
        final LongAdder other = new LongAdder();

        static Outcomes of(Iterable<CompletableFuture<SubmitResult>> futures) throws Exception {
            Outcomes o = new Outcomes();
            for (CompletableFuture<SubmitResult> f : futures) {
                try {
                    f.get(3, TimeUnit.MINUTES);
                    o.committed.increment();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof ZabException.OverloadedException) {
                        o.overloaded.increment();
                    } else if (e.getCause() instanceof ZabException.OutcomeUnknownException) {
                        o.unknown.increment();
                    } else {
                        o.other.increment();
                    }
                }
            }
            return o;
        }

        @Override
        public String toString() {
            return committed + " committed, " + overloaded + " overloaded, " + unknown
                    + " unknown, " + other + " other";
        }
    }
}
