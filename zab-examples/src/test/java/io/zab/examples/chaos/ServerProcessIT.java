package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Three {@code server} processes from the built jar: writes through every node, kill -9 of the
 * leader, a new leader, the old one restarted from its data directory; every node converges and
 * no acknowledged write is lost. Needs no root (no partitions, no disk faults). Logs stay under
 * the printed directory on failure.
 */
class ServerProcessIT {
    private static final Duration CALL = Duration.ofSeconds(10);

    private static void await(ProcessCluster c, String what, BooleanSupplier cond)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what + "; logs in " + c.root + "\n"
                        + c.tailLogs(30));
            }
            Thread.sleep(100);
        }
    }

    /** Writes key=value through a node, retrying 503s (never applied); returns on 200. */
    static void put(ProcessCluster c, int node, String key, String value)
            throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            HttpResponse<String> r;
            try {
                r = c.call(node, "PUT", "/kv/" + key, value, CALL);
            } catch (IOException e) {
                // Unknown outcome; the same put again is idempotent. A loaded CI box can be
                // slow to accept a connection.
                Thread.sleep(100);
                continue;
            }
            if (r.statusCode() == 200) {
                return;
            }
            assertTrue(r.statusCode() == 503 || r.statusCode() == 504,
                    "unexpected answer " + r.statusCode() + " " + r.body());
            Thread.sleep(100);
        }
        throw new AssertionError("no leader for " + key + "; logs in " + c.root);
    }

    @Test
    void killTheLeaderRestartItAndLoseNothing() throws Exception {
        Path root = Files.createTempDirectory("zab-servers-");
        System.out.println("servers: logs and data in " + root);
        try (ProcessCluster c = new ProcessCluster(3, root)) {
            for (int id = 1; id <= 3; id++) {
                c.start(id);
            }
            await(c, "a leader", () -> c.leader() != null);
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                put(c, 1 + i % 3, "k" + i, "v" + i);
                acked.add("k" + i);
            }
            int leader = c.leader();
            c.kill9(leader);
            int other = leader == 1 ? 2 : 1;
            await(c, "a new leader", () -> c.leader() != null);
            for (int i = 60; i < 90; i++) {
                put(c, other, "k" + i, "v" + i);
                acked.add("k" + i);
            }
            c.start(leader);
            await(c, "convergence", () -> {
                String d = c.digest(1);
                return d != null && d.equals(c.digest(2)) && d.equals(c.digest(3))
                        && c.applied(1).equals(c.applied(leader));
            });
            for (int id = 1; id <= 3; id++) {
                for (String key : acked) {
                    HttpResponse<String> r = c.call(id, "GET", "/kv/" + key, null, CALL);
                    assertEquals(200, r.statusCode(), "node " + id + " lost " + key);
                    assertEquals("v" + key.substring(1), r.body());
                }
            }
            assertNotNull(c.status(leader), "the restarted leader answers");
            assertTrue(c.isRunning(leader));
        }
        Trees.delete(root);
    }
}
