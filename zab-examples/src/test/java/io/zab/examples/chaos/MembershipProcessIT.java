package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 with real processes: three servers, a fourth started with {@code --join} naming a
 * follower's HTTP address (the change is forwarded to the leader) joins as a voter, serves
 * writes and reads; one of the original three is removed with {@code DELETE /members}, and the
 * other three go on committing. The fourth, restarted with the same options, does not ask to
 * be added again. No root. Logs stay under the printed directory on failure.
 */
class MembershipProcessIT {
    private static final Duration CALL = Duration.ofSeconds(10);
    private static final Pattern VOTERS = Pattern.compile("\"voters\":\\{([^}]*)\\}");
    private static final Pattern ID = Pattern.compile("\"(\\d+)\":");

    @Test
    void aFourthServerJoinsAndAnOriginalIsRemoved() throws Exception {
        Path root = Files.createTempDirectory("zab-members-");
        System.out.println("membership servers: logs and data in " + root);
        long start = System.nanoTime();
        try (ProcessCluster c = new ProcessCluster(4, root).founders(3)) {
            for (int id = 1; id <= 3; id++) {
                c.start(id);
            }
            await(c, "a leader", () -> c.leader() != null);
            for (int i = 0; i < 10; i++) {
                ServerProcessIT.put(c, 1 + i % 3, "k" + i, "v" + i);
            }
            int leader = c.leader();
            int via = leader == 1 ? 2 : 1;
            c.joinVia(4, via).start(4);
            await(c, "GET /members on node " + via + " lists 4 voters",
                    () -> voters(c, via).equals(Set.of(1, 2, 3, 4)));
            await(c, "node 4 says it was added", () -> read(c.logFile(4))
                    .contains("server 4: added as voter; membership 0x"));
            assertEquals(Set.of(1, 2, 3, 4), voters(c, 4), "node 4 knows itself a voter");
            ServerProcessIT.put(c, 4, "through-4", "x");
            HttpResponse<String> r = c.call(4, "GET", "/kv/through-4?linearizable=true", null,
                    CALL);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("x", r.body());
            assertEquals("v9", c.call(4, "GET", "/kv/k9?linearizable=true", null, CALL).body());

            int removed = leader == 3 ? 2 : 3;
            List<Integer> rest = new ArrayList<>(List.of(1, 2, 3, 4));
            rest.remove(Integer.valueOf(removed));
            r = changeUntilDone(c, 4, "DELETE", "/members/" + removed);
            assertEquals(200, r.statusCode(), r.body());
            for (int id : rest) {
                await(c, "node " + id + " no longer lists node " + removed,
                        () -> voters(c, id).equals(new TreeSet<>(rest)));
                ServerProcessIT.put(c, id, "after-" + id, "y");
            }
            for (int id : rest) {
                for (int other : rest) {
                    HttpResponse<String> g = c.call(id, "GET", "/kv/after-" + other
                            + "?linearizable=true", null, CALL);
                    assertEquals("y", g.body(), "node " + id + " reads after-" + other);
                }
            }

            c.kill9(4);
            c.start(4);
            await(c, "node 4 restarted as a member", () -> read(c.logFile(4))
                    .contains("server 4: a member already (voter"));
            ServerProcessIT.put(c, 4, "after-restart", "z");
            System.out.printf("membership servers: 3 -> 4 voters via node %d, node %d removed,"
                    + " node 4 restarted, in %d s%n", via, removed,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        }
        Trees.delete(root);
    }

    /** The voters node {@code id}'s GET /members lists, or none when it does not answer. */
    static Set<Integer> voters(ProcessCluster c, int id) {
        Set<Integer> out = new TreeSet<>();
        try {
            HttpResponse<String> r = c.call(id, "GET", "/members", null, Duration.ofSeconds(2));
            Matcher m = r.statusCode() == 200 ? VOTERS.matcher(r.body()) : null;
            if (m != null && m.find()) {
                Matcher ids = ID.matcher(m.group(1));
                while (ids.find()) {
                    out.add(Integer.parseInt(ids.group(1)));
                }
            }
        } catch (IOException e) {
            // not answering yet: no voters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    private static HttpResponse<String> changeUntilDone(ProcessCluster c, int id, String method,
            String path) throws Exception {
        return changeUntilDone(c, id, method, path, false);
    }

    /**
     * A DELETE /members/{id}, asked again on the answers that mean "not now" (503, 409) and on
     * 504 or a lost connection (outcome unknown), bounded at 20 attempts and 90 s. After an
     * unknown outcome (this call's or, with {@code unknown}, the caller's earlier attempt), a
     * 404 means that attempt did remove it: that counts as done, answered with GET /members.
     */
    static HttpResponse<String> changeUntilDone(ProcessCluster c, int id, String method,
            String path, boolean unknown) throws Exception {
        HttpResponse<String> r = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (int attempt = 0; attempt < 20 && System.nanoTime() - deadline < 0; attempt++) {
            try {
                r = c.call(id, method, path, null, Duration.ofSeconds(20));
            } catch (IOException e) {
                System.out.println("membership servers: " + method + " " + path + ": " + e
                        + "; asking again");
                unknown = true;
                Thread.sleep(500);
                continue;
            }
            if (r.statusCode() == 404 && unknown) {
                System.out.println("membership servers: " + path + " had committed before its"
                        + " unknown outcome");
                return c.call(id, "GET", "/members", null, CALL);
            }
            if (r.statusCode() != 503 && r.statusCode() != 409 && r.statusCode() != 504) {
                return r;
            }
            unknown |= r.statusCode() == 504;
            System.out.println("membership servers: " + method + " " + path + " answered "
                    + r.statusCode() + " " + r.body() + "; asking again");
            Thread.sleep(500);
        }
        if (r == null) {
            throw new AssertionError(method + " " + path + " on node " + id + " never answered;"
                    + " logs in " + c.root);
        }
        return r;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void await(ProcessCluster c, String what, BooleanSupplier cond)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what + "; logs in " + c.root + "\n"
                        + c.tailLogs(30));
            }
            Thread.sleep(100);
        }
    }
}
