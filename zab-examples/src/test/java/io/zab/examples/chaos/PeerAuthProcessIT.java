package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Issue 18 with real processes: three KV servers share a peer secret file; a fourth server
 * process, started with another secret and a live follower's id on that follower's own address,
 * keeps dialing the others while they take writes. It never joins (its log shows it refused at
 * the challenge), the leader and epoch never change, and every acknowledged write is on every
 * member. A server whose secret file is too short refuses to start, naming the file. No root.
 */
class PeerAuthProcessIT {
    private static final Duration CALL = Duration.ofSeconds(10);

    @Test
    void aServerWithAnotherSecretUnderAMembersIdNeverJoins() throws Exception {
        Path root = Files.createTempDirectory("zab-peer-auth-");
        System.out.println("peer-auth servers: logs and data in " + root);
        Path secret = Files.writeString(root.resolve("secret"),
                "c2VjcmV0LW9mLXRoZS1lbnNlbWJsZS0x\n");
        Path wrong = Files.writeString(root.resolve("wrong"), "YW5vdGhlci1zZWNyZXQtb2YtMzItYnl0\n");
        Path tooShort = Files.writeString(root.resolve("short"), "only-15-bytes..\n");
        try (ProcessCluster c = new ProcessCluster(3, root)) {
            c.serverOptions("--peer-secret-file", secret.toString());
            for (int id = 1; id <= 3; id++) {
                c.start(id);
            }
            await(c, "a leader", () -> c.leader() != null);
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                ServerProcessIT.put(c, 1 + i % 3, "k" + i, "v" + i);
                acked.add("k" + i);
            }
            int leader = c.leader();
            long epoch = c.epoch(leader);
            int victim = leader == 1 ? 2 : 1;

            Process refused = c.startImpostor(victim, "short", List.of("--peer-secret-file",
                    tooShort.toString()));
            assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "a short secret did not stop it");
            assertNotEquals(0, refused.exitValue());
            String shortLog = Files.readString(root.resolve("short.log"));
            assertTrue(shortLog.contains("--peer-secret-file") && shortLog.contains(
                    tooShort.toString()), shortLog);

            Process impostor = c.startImpostor(victim, "impostor", List.of(
                    "--peer-secret-file", wrong.toString()));
            Path impostorLog = root.resolve("impostor.log");
            try {
                await(c, "the impostor refused at the challenge", () -> read(impostorLog)
                        .contains("the peer failed authentication"));
                for (int i = 30; i < 90; i++) {
                    ServerProcessIT.put(c, 1 + i % 3, "k" + i, "v" + i);
                    acked.add("k" + i);
                }
                assertTrue(impostor.isAlive(), "the impostor exited:\n" + read(impostorLog));
            } finally {
                impostor.destroyForcibly();
                impostor.waitFor(30, TimeUnit.SECONDS);
            }
            String log = read(impostorLog);
            assertFalse(log.contains(": connected ("), "the impostor connected:\n" + log);
            assertEquals(leader, c.leader());
            assertEquals(epoch, c.epoch(leader), "the leader never changed");
            await(c, "convergence", () -> {
                String d = c.digest(1);
                return d != null && d.equals(c.digest(2)) && d.equals(c.digest(3));
            });
            for (int id = 1; id <= 3; id++) {
                for (String key : acked) {
                    HttpResponse<String> r = c.call(id, "GET", "/kv/" + key, null, CALL);
                    assertEquals(200, r.statusCode(), "node " + id + " lost " + key);
                    assertEquals("v" + key.substring(1), r.body());
                }
            }
            long attempts = log.lines().filter(l -> l.contains("the peer failed authentication"))
                    .count();
            System.out.printf("peer-auth servers: the impostor (id %d) was refused %d times;"
                    + " %d writes on every member%n", victim, attempts, acked.size());
        }
        Trees.delete(root);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static void await(ProcessCluster c, String what, BooleanSupplier cond)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what + "; logs in " + c.root + "\n"
                        + c.tailLogs(30));
            }
            Thread.sleep(100);
        }
    }
}
