package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 with real processes: a KV state of 244 MiB (256 values of a million bytes: almost
 * four times the 64 MiB that one SNAP message could carry in wave 1, and eight times the
 * leaders' history) in servers whose heap is about three times the state. It loads without an OutOfMemoryError, and a follower killed, wiped and
 * restarted as {@code existing} catches up by a chunked SNAP (the leader streams a snapshot of
 * its state from its file). Needs no root. (scripts/snap-catchup.py measures the same with
 * 1 GiB.)
 */
class LargeStateIT {
    private static final int VALUES = 256;
    private static final int VALUE_BYTES = 1_000_000;

    @Test
    void aWipedFollowerCatchesUpALargeStateByChunkedSnap() throws Exception {
        Path root = Files.createTempDirectory("zab-large-");
        System.out.println("large state: logs and data in " + root);
        try (ProcessCluster c = new ProcessCluster(3, root)) {
            c.jvmOptions("-Xmx768m", "-Dzab.log.level=INFO")
                    .serverOptions("--history-max-bytes", String.valueOf(32 << 20));
            for (int id = 1; id <= 3; id++) {
                c.start(id);
            }
            awaitFor(c, "a leader", 90, () -> c.leader() != null);
            int leader = c.leader();
            String value = "v".repeat(VALUE_BYTES);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> puts = new ArrayList<>();
                for (int i = 0; i < VALUES; i++) {
                    String key = "big" + i;
                    puts.add(writers.submit(() -> {
                        ServerProcessIT.put(c, leader, key, value);
                        return null;
                    }));
                }
                for (Future<?> f : puts) {
                    f.get(5, TimeUnit.MINUTES);
                }
            } finally {
                writers.shutdownNow();
            }
            int victim = leader == 1 ? 2 : 1;
            c.kill9(victim);
            c.wipe(victim);
            long restarted = System.nanoTime();
            c.start(victim);
            // The /status digest hashes the whole state (too slow for its 1 s deadline here):
            // read the data itself instead.
            awaitFor(c, "the wiped follower has the last write", 240, () -> {
                try {
                    return c.call(victim, "GET", "/kv/big" + (VALUES - 1), null,
                            Duration.ofSeconds(30)).statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            System.out.printf("large state: %d MiB caught up by the wiped follower in %.1f s%n",
                    (long) VALUES * VALUE_BYTES >> 20,
                    (System.nanoTime() - restarted) / 1e9);
            for (int i = 0; i < VALUES; i++) {
                HttpResponse<String> r = c.call(victim, "GET", "/kv/big" + i, null,
                        Duration.ofSeconds(30));
                assertEquals(200, r.statusCode(), "big" + i);
                assertEquals(value, r.body(), "big" + i);
            }
            String leaderLog = Files.readString(c.logFile(leader));
            assertTrue(leaderLog.contains("SNAP for learner " + victim),
                    "the leader chose SNAP for the wiped follower");
            for (int id = 1; id <= 3; id++) {
                assertFalse(Files.readString(c.logFile(id)).contains("OutOfMemoryError"),
                        "node " + id + " ran out of memory");
            }
        }
        Trees.delete(root);
    }

    private static void awaitFor(ProcessCluster c, String what, int seconds,
            java.util.function.BooleanSupplier cond) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what + "; logs in " + c.root + "\n"
                        + c.tailLogs(30));
            }
            Thread.sleep(200);
        }
    }
}
