package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.SubmitResult;
import io.zab.Zxid;
import io.zab.testkit.FreePorts;
import io.zab.testkit.TestCluster;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At least 100,000 mutated frames ({@link FrameFuzzer}) thrown at the quorum ports of a live
 * three-voter cluster while a client keeps writing. The fuzzer connects from 127.0.0.2, the
 * address of observer 9, a member every node is configured with but that never runs; so it can
 * complete a handshake as 9 and reach the message decoder and the protocol core, but cannot pass
 * for a voter (their address is 127.0.0.1). Afterwards every state machine must be byte-for-byte
 * identical and hold every acknowledged write, no node may have halted, and new writes through
 * every node must commit.
 */
class FrameFuzzIT {
    private static final long FRAMES = 100_000;
    /**
     * A bound on the fuzzing, not a speed target: about 5 s here, but a slow CI machine may
     * take many times that, and the frame count is the point.
     */
    private static final Duration FUZZ_LIMIT = Duration.ofMinutes(5);
    private static final int FUZZER_SID = 9;

    @TempDir
    Path root;

    @Test
    void mutatedFramesChangeNothingAndWritesStillCommit() throws Exception {
        InetSocketAddress fuzzerAddress = new InetSocketAddress("127.0.0.2",
                FreePorts.pick(1)[0]); // nothing listens there: dials to 9 are refused
        // Observer 9 is in every node's config, but no node of the kit runs as 9.
        try (TestCluster<HistoryMachine> c = Clusters.netty(root)
                .configure(b -> b.observer(FUZZER_SID, fuzzerAddress)).start();
                Writer w = new Writer("z", Clusters.anyRunning(c), 200)) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            long epochBefore = c.node(leader).status().epoch();
            w.start();
            w.awaitAcked(c, 1_000);
            long ackedBefore = w.acked().size();
            FrameFuzzer.Counters sent = new FrameFuzzer.Counters();
            long start = System.nanoTime();
            try (LogTally log = new LogTally()) {
                fuzz(c, fuzzerAddress, sent);
                long ackedDuring = w.acked().size() - ackedBefore;
                w.awaitAcked(c, w.acked().size() + 500); // still committing
                w.stop();
                byte[] record = Clusters.converged(c);
                w.assertFailuresOnly(Writer.transientFailures());
                w.assertAllAckedIn(record);
                writeThroughEveryNode(c);
                c.assertNoFailures();
                assertEquals(List.of(), log.errors(), "nothing logged an error");
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                System.out.printf("fuzz: %s in ~%d s; %d writes acknowledged meanwhile"
                        + " (failures %s); leader %d epoch %d -> %s%n"
                        + "fuzz: warnings by kind: %s%n", sent, seconds, ackedDuring,
                        w.failures(), leader, epochBefore,
                        c.leader().map(l -> "leader " + l + " epoch "
                                + c.node(l).status().epoch()).orElse("?"), log.counts());
            }
            assertTrue(sent.frames.get() >= FRAMES, "frames sent: " + sent);
        }
    }

    /** One fuzzing thread per node, until FRAMES frames were sent in all. */
    private static void fuzz(TestCluster<?> c, InetSocketAddress from,
            FrameFuzzer.Counters sent)
            throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> problems = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + FUZZ_LIMIT.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int id : c.voters()) {
            FrameFuzzer f = new FrameFuzzer(from, c.address(id), FUZZER_SID,
                    id == 3 ? 1 : id + 1, 1_000L * id, sent);
            Thread t = new Thread(() -> {
                try {
                    while (sent.frames.get() < FRAMES && System.nanoTime() - end < 0
                            && problems.isEmpty()) {
                        f.connectOnce();
                    }
                } catch (Exception | AssertionError e) {
                    problems.add(new AssertionError("fuzzing node " + id + ": " + e, e));
                }
            }, "fuzz-" + id);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(FUZZ_LIMIT.toMillis() + 20_000);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.peek());
        }
    }

    private static void writeThroughEveryNode(TestCluster<HistoryMachine> c)
            throws Exception {
        List<CompletableFuture<SubmitResult>> futures = new ArrayList<>();
        for (int id : c.voters()) {
            for (int i = 0; i < 100; i++) {
                futures.add(c.node(id).submit(ByteBuffer.wrap(("after-" + id + "-" + i)
                        .getBytes(StandardCharsets.UTF_8))));
            }
        }
        List<Zxid> zxids = new ArrayList<>();
        for (CompletableFuture<SubmitResult> f : futures) {
            zxids.add(f.get(30, TimeUnit.SECONDS).zxid());
        }
        Map<String, Zxid> delivered = HistoryMachine.index(Clusters.converged(c));
        int i = 0;
        for (int id : c.voters()) {
            for (int k = 0; k < 100; k++) {
                assertEquals(zxids.get(i++), delivered.get("after-" + id + "-" + k));
            }
        }
    }
}
