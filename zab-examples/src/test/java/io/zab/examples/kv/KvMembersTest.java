package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.runtime.NodeWiring;
import io.zab.transport.LoopbackNetwork;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The membership endpoints over live in-process clusters (loopback network, real threads):
 * GET /members, a member added and one removed, every 4xx with its reason, refusals, and how
 * each of the node's failures becomes a status.
 */
class KvMembersTest {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** The servers' request timeout: a change's catch-up wait is half of it. */
    private static final long TIMEOUT_MS = 4_000;

    /** Nodes on one loopback network, each with a KV server; ids from 1. */
    private static final class Ensemble implements AutoCloseable {
        final LoopbackNetwork net = new LoopbackNetwork();
        final Map<Integer, ZabNode> nodes = new TreeMap<>();
        final Map<Integer, KvServer> servers = new TreeMap<>();

        /** Starts node {@code id} of {@code voters}; with JOIN it lists itself as a voter too. */
        Ensemble start(int id, int voters, ZabConfig.InitialClusterState state)
                throws Exception {
            ZabConfig.Builder b = ZabConfig.builder().peerId(id).tickIntervalMs(50)
                    .syncLimitTicks(40).initLimitTicks(40).initialClusterState(state)
                    .allowEvenVoters(true);
            for (int i = 1; i <= voters; i++) {
                b.voter(i, address(i));
            }
            if (state == ZabConfig.InitialClusterState.JOIN) {
                b.voter(id, address(id));
            }
            KvStateMachine kv = new KvStateMachine();
            ZabNode n = new NodeWiring().config(b.build()).stateMachine(kv)
                    .transport(net.transport()).build().start();
            nodes.put(id, n);
            servers.put(id, new KvServer(n, kv, new InetSocketAddress("127.0.0.1", 0), 1024,
                    TIMEOUT_MS).start());
            return this;
        }

        static Ensemble of(int voters) throws Exception {
            Ensemble e = new Ensemble();
            try {
                for (int id = 1; id <= voters; id++) {
                    e.start(id, voters, ZabConfig.InitialClusterState.NEW);
                }
                awaitTrue(() -> e.leader() > 0 && e.nodes.values().stream()
                        .allMatch(n -> n.status().broadcasting()), 30_000, "a leader");
                return e;
            } catch (Exception | AssertionError x) {
                e.close();
                throw x;
            }
        }

        /** The leader in broadcast, or 0. */
        int leader() {
            for (Map.Entry<Integer, ZabNode> n : nodes.entrySet()) {
                if (n.getValue().status().role() == Role.LEADING
                        && n.getValue().status().broadcasting()) {
                    return n.getKey();
                }
            }
            return 0;
        }

        HttpResponse<String> call(int id, String method, String path, String body)
                throws Exception {
            URI uri = URI.create("http://127.0.0.1:" + servers.get(id).address().getPort()
                    + path);
            return HTTP.send(request(uri, method, body), HttpResponse.BodyHandlers.ofString());
        }

        CompletableFuture<HttpResponse<String>> callAsync(int id, String method, String path,
                String body) {
            URI uri = URI.create("http://127.0.0.1:" + servers.get(id).address().getPort()
                    + path);
            return HTTP.sendAsync(request(uri, method, body),
                    HttpResponse.BodyHandlers.ofString());
        }

        private static HttpRequest request(URI uri, String method, String body) {
            return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body)).build();
        }

        @Override
        public void close() {
            servers.values().forEach(KvServer::close);
            nodes.values().forEach(ZabNode::close);
        }
    }

    /** Addresses the loopback network never dials; they only travel in the memberships. */
    private static InetSocketAddress address(int id) {
        return new InetSocketAddress("127.0.0.1", 7000 + id);
    }

    private static void awaitTrue(BooleanSupplier condition, long ms, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + ms + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String reason) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"error\":") && r.body().contains(reason), r.body());
    }

    private static String voters(String membersJson) {
        int at = membersJson.indexOf("\"voters\":");
        return membersJson.substring(at, membersJson.indexOf('}', at) + 1);
    }

    @Test
    void getMembersListsTheVotersTheLeaderAndNoChange() throws Exception {
        try (Ensemble e = Ensemble.of(3)) {
            int leader = e.leader();
            for (int id = 1; id <= 3; id++) {
                HttpResponse<String> r = e.call(id, "GET", "/members", null);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("{\"version\":\"0x0\",\"voters\":{\"1\":\"127.0.0.1:7001\","
                        + "\"2\":\"127.0.0.1:7002\",\"3\":\"127.0.0.1:7003\"},\"observers\":{},"
                        + "\"leader\":" + leader + ",\"change\":null}", r.body());
                assertTrue(r.headers().firstValue("content-type").orElse("")
                        .startsWith("application/json"));
            }
        }
    }

    /**
     * A fourth node started to JOIN is added as a voter through PUT on the leader, serves
     * writes, and an original voter is removed through DELETE; the node removed drops out of
     * every member's list and the other three go on committing. Then the fourth becomes an
     * observer through a PUT sent to a follower.
     */
    @Test
    void aJoiningNodeIsAddedAndAnOriginalRemoved() throws Exception {
        try (Ensemble e = Ensemble.of(3)) {
            assertEquals(200, e.call(1, "PUT", "/kv/before", "1").statusCode());
            e.start(4, 3, ZabConfig.InitialClusterState.JOIN);
            int leader = e.leader();
            HttpResponse<String> r = e.call(leader, "PUT", "/members/4", "voter=127.0.0.1:7004\n");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().matches("\\{\"version\":\"0x[0-9a-f]+\",\"voters\":\\{\"1\":"
                    + "\"127.0.0.1:7001\",\"2\":\"127.0.0.1:7002\",\"3\":\"127.0.0.1:7003\","
                    + "\"4\":\"127.0.0.1:7004\"\\},\"observers\":\\{\\}\\}"), r.body());
            assertTrue(!r.body().contains("\"0x0\""), "a committed change has a version");
            String four = voters(r.body());
            awaitTrue(() -> e.nodes.values().stream().allMatch(n -> n.membership().voters()
                    .size() == 4), 10_000, "every node knows the four voters");
            assertEquals(four, voters(e.call(4, "GET", "/members", null).body()));
            assertEquals(200, e.call(4, "PUT", "/kv/through-4", "x").statusCode());
            assertEquals("x", e.call(4, "GET", "/kv/through-4?linearizable=true", null).body());
            assertEquals("1", e.call(4, "GET", "/kv/before?linearizable=true", null).body());

            int removed = leader == 1 ? 2 : 1;
            r = e.call(leader, "DELETE", "/members/" + removed, null);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(!voters(r.body()).contains("\"" + removed + "\""), r.body());
            List<Integer> rest = new ArrayList<>(List.of(1, 2, 3, 4));
            rest.remove(Integer.valueOf(removed));
            for (int id : rest) {
                awaitTrue(() -> !e.nodes.get(id).membership().contains(PeerId.of(removed)),
                        10_000, "node " + id + " no longer lists " + removed);
                assertEquals(voters(r.body()), voters(e.call(id, "GET", "/members", null)
                        .body()));
                assertEquals(200, e.call(id, "PUT", "/kv/after-" + id, "y").statusCode());
            }
            assertError(e.call(leader, "DELETE", "/members/" + removed, null), 404,
                    "no such member: " + removed);
            // Asking for what already holds changes nothing and succeeds.
            r = e.call(leader, "PUT", "/members/4", "voter=127.0.0.1:7004");
            assertEquals(200, r.statusCode(), r.body());
            // A role change, asked of a member that forwards it to the leader. (Asked of node 4
            // itself, it commits but node 4 answers 504: leaving the FOLLOWING role at the
            // commit fails its own request as of unknown outcome.)
            int other = rest.stream().filter(id -> id != leader && id != 4).findFirst()
                    .orElseThrow();
            r = e.call(other, "PUT", "/members/4", "observer=127.0.0.1:7004");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().endsWith(",\"observers\":{\"4\":\"127.0.0.1:7004\"}}")
                    && !voters(r.body()).contains("\"4\""), r.body());
            awaitTrue(() -> e.nodes.get(4).membership().isObserver(PeerId.of(4)), 10_000,
                    "node 4 knows it observes");
            assertEquals(200, e.call(4, "PUT", "/kv/as-observer", "z").statusCode());
        }
    }

    @Test
    void badInputGets400And404WithAReason() throws Exception {
        try (Ensemble e = Ensemble.of(3)) {
            int leader = e.leader();
            assertError(e.call(leader, "PUT", "/members/four", "voter=h:1"), 400,
                    "member id is a positive integer");
            assertError(e.call(leader, "PUT", "/members/0", "voter=h:1"), 400, "positive");
            assertError(e.call(leader, "PUT", "/members/4", "voter"), 400,
                    "voter=HOST:PORT or observer=HOST:PORT");
            assertError(e.call(leader, "PUT", "/members/4", "leader=h:1"), 400,
                    "voter=HOST:PORT or observer=HOST:PORT");
            assertError(e.call(leader, "PUT", "/members/4", "voter=h"), 400, "HOST:PORT");
            assertError(e.call(leader, "PUT", "/members/4", "voter=h:0"), 400, "1 to 65535");
            assertError(e.call(leader, "PUT", "/members/4", "voter=h:70000"), 400, "65535");
            assertError(e.call(leader, "PUT", "/members/4", "voter=:1"), 400, "HOST:PORT");
            assertError(e.call(leader, "PUT", "/members/4", "voter=h:" + "1".repeat(300)), 400,
                    "HOST:PORT");
            assertError(e.call(leader, "PUT", "/members/4",
                    "voter=" + "h".repeat(300) + ":1"), 400, "longer than 255 bytes");
            assertError(e.call(leader, "DELETE", "/members/9", null), 404, "no such member: 9");
            assertError(e.call(leader, "POST", "/members", "x"), 405, "POST");
            assertError(e.call(leader, "GET", "/members/1", null), 405, "GET");
            assertError(e.call(leader, "GET", "/members?x=1", null), 400,
                    "unknown query parameter");
            assertEquals(3, e.nodes.get(leader).membership().voters().size(), "nothing changed");
        }
        try (Ensemble one = Ensemble.of(1)) {
            assertError(one.call(1, "DELETE", "/members/1", null), 400,
                    "cannot remove the last voter, 1");
            assertError(one.call(1, "PUT", "/members/1", "observer=127.0.0.1:7001"), 400,
                    "at least one voter");
        }
    }

    /**
     * A voter to add that never starts is refused once the catch-up wait (half the server's
     * timeout) runs out: 503, nothing changed. A second change while the first is staged gets
     * 409. Which of the two the leader takes first is up to the threads; one gets each.
     */
    @Test
    void aMemberThatNeverCatchesUpIs503AndASecondChangeMeanwhile409() throws Exception {
        try (Ensemble e = Ensemble.of(3)) {
            int leader = e.leader();
            CompletableFuture<HttpResponse<String>> first = e.callAsync(leader, "PUT",
                    "/members/4", "voter=127.0.0.1:7004");
            Thread.sleep(300); // well inside the first one's 2 s catch-up wait
            // A voter too: an observer to add need not catch up, so its change would commit at
            // once if it reached the leader first, leaving nothing in flight to refuse.
            HttpResponse<String> second = e.call(leader, "PUT", "/members/5",
                    "voter=127.0.0.1:7005");
            HttpResponse<String> a = first.get(30, TimeUnit.SECONDS);
            HttpResponse<String> refused = a.statusCode() == 503 ? a : second;
            HttpResponse<String> inFlight = a.statusCode() == 503 ? second : a;
            assertError(refused, 503, "membership change refused");
            assertEquals("1", refused.headers().firstValue("retry-after").orElse(""));
            assertError(inFlight, 409, "in flight");
            assertEquals(Set.of(PeerId.of(1), PeerId.of(2), PeerId.of(3)),
                    e.nodes.get(leader).membership().members(), "nothing changed");
        }
    }

    /** Every failure of the node's future, as the reply says it. */
    @Test
    void eachRefusalOfTheNodeHasItsStatus() {
        Reply r = MembersApi.refused(new CompletionException(
                new ZabException.NotLeaderException("not leading", PeerId.of(3))));
        assertEquals(503, r.status());
        assertTrue(r.retryAfter());
        assertTrue(r.body().endsWith(",\"leader\":3}") && r.body().contains("not leading"),
                r.body());
        r = MembersApi.refused(new ZabException.NotLeaderException("no leader", null));
        assertTrue(r.body().endsWith(",\"leader\":null}"), r.body());
        assertEquals(409, MembersApi.refused(
                new ZabException.ChangeInFlightException("busy")).status());
        assertEquals(504, MembersApi.refused(
                new ZabException.OutcomeUnknownException("lost")).status());
        for (ZabException never : List.of(
                new ZabException.MembershipChangeRefusedException("not caught up"),
                new ZabException.RecoveringException("disk", new java.io.IOException("x")),
                new ZabException.ClosedException("closed"))) {
            r = MembersApi.refused(new CompletionException(never));
            assertEquals(503, r.status(), never.toString());
            assertTrue(r.body().contains(never.getMessage()), r.body());
        }
        assertEquals(500, MembersApi.refused(new IllegalStateException("bug")).status());
    }
}
