package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.runtime.NodeWiring;
import io.zab.transport.LoopbackNetwork;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer of the KV server over raw sockets: each limit, bad requests, pipelining, and
 * what closing does to a request in flight.
 */
class KvHttpTest {
    private static final List<ZabNode> NODES = new ArrayList<>();
    private static final List<KvStateMachine> MACHINES = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        LoopbackNetwork net = new LoopbackNetwork();
        for (int id = 1; id <= 3; id++) {
            KvStateMachine kv = new KvStateMachine();
            ZabNode n = new NodeWiring().config(config(id)).stateMachine(kv)
                    .transport(net.transport()).build().start();
            NODES.add(n);
            MACHINES.add(kv);
        }
        awaitTrue(() -> NODES.stream().allMatch(n -> n.status().broadcasting()), 30_000,
                "a leader");
    }

    @AfterAll
    static void stopCluster() {
        NODES.forEach(ZabNode::close);
    }

    private static ZabConfig config(int id) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).tickIntervalMs(50)
                .syncLimitTicks(40).initLimitTicks(40);
        for (int i = 1; i <= 3; i++) {
            b.voter(i, new InetSocketAddress("127.0.0.1", 1));
        }
        return b.build();
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

    /** A server on node 1 of the live cluster. */
    private static KvServer server(HttpLimits limits) throws Exception {
        return new KvServer(NODES.get(0), MACHINES.get(0),
                new InetSocketAddress("127.0.0.1", 0), limits, 5_000).start();
    }

    private static void assertError(RawHttp.Response r, int status, String reason) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().startsWith("{\"error\":") && r.body().contains(reason), r.body());
    }

    @Test
    void headersBeyondTheLimitGet431AndALongRequestLine414() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024).withMaxHeaderBytes(1024))) {
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send(RawHttp.request("GET", "/status", ""));
                assertEquals(200, c.read().status());
                c.send("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "p".repeat(2000)
                        + "\r\n\r\n");
                assertError(c.read(), 431, "request headers larger than 1024 bytes");
                assertTrue(c.closedByServer(), "closed after a refusal");
            }
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send(RawHttp.request("GET", "/kv/" + "k".repeat(2000), ""));
                assertError(c.read(), 414, "request line longer than 1024 bytes");
            }
        }
    }

    @Test
    void aChunkedBodyBeyondTheLimitGets413() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024));
                RawHttp c = new RawHttp(s.address(), 10_000)) {
            String head = "PUT /kv/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n";
            c.send(head + chunk(500) + chunk(500) + "0\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals(1000, MACHINES.get(0).get("chunked").length());
            c.send(head + chunk(600) + chunk(600) + "0\r\n\r\n");
            assertError(c.read(), 413, "value larger than 1024 bytes");
            assertTrue(c.closedByServer(), "closed: the rest of the body is never read");
            awaitTrue(() -> s.heldBytes() == 0, 5_000, "the bodies' bytes given back");
        }
    }

    private static String chunk(int n) {
        return Integer.toHexString(n) + "\r\n" + "c".repeat(n) + "\r\n";
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024).withMaxConnections(2));
                RawHttp a = new RawHttp(s.address(), 10_000);
                RawHttp b = new RawHttp(s.address(), 10_000)) {
            for (RawHttp c : List.of(a, b)) {
                c.send(RawHttp.request("GET", "/status", ""));
                assertEquals(200, c.read().status());
            }
            try (RawHttp third = new RawHttp(s.address(), 5_000)) {
                assertTrue(third.closedByServer(), "the third connection is closed");
            }
            a.close();
            awaitTrue(() -> s.openConnections() <= 1, 5_000, "closed connections leave the count");
            try (RawHttp again = new RawHttp(s.address(), 10_000)) {
                again.send(RawHttp.request("GET", "/status", ""));
                assertEquals(200, again.read().status());
            }
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024).withIdleTimeoutMs(300));
                RawHttp c = new RawHttp(s.address(), 10_000)) {
            c.send(RawHttp.request("GET", "/status", ""));
            assertEquals(200, c.read().status());
            long start = System.nanoTime();
            assertTrue(c.closedByServer(), "closed by the server");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 200 && ms < 5_000, "closed after " + ms + " ms");
        }
    }

    @Test
    void malformedRequestsGet400WithAReason() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024))) {
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send("NONSENSE\r\n\r\n");
                assertError(c.read(), 400, "bad request");
            }
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send("PUT /kv/a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n");
                assertError(c.read(), 400, "bad request");
            }
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send(RawHttp.request("GET", "/kv/%zz", ""));
                assertError(c.read(), 400, "malformed request target");
                c.send(RawHttp.request("GET", "/kv/a b", ""));
                assertError(c.read(), 400, "bad request");
            }
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send("PUT /kv/a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\n");
                c.send(new byte[] {(byte) 0xff});
                assertError(c.read(), 400, "value is not valid UTF-8");
            }
        }
    }

    /**
     * Served one at a time: the read behind a write sees it, and a quick 404 behind a slow write
     * does not overtake it.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (KvServer s = server(HttpLimits.defaults(1024));
                RawHttp c = new RawHttp(s.address(), 10_000)) {
            c.send(RawHttp.request("PUT", "/kv/pipe", "v1")
                    + RawHttp.request("GET", "/kv/pipe", "")
                    + RawHttp.request("GET", "/kv/no-such-key", "")
                    + RawHttp.request("PUT", "/kv/pipe", "v2")
                    + RawHttp.request("GET", "/kv/pipe", ""));
            RawHttp.Response r = c.read();
            assertEquals(200, r.status(), r.body());
            assertTrue(r.body().startsWith("{\"zxid\""), r.body());
            assertEquals("v1", c.read().body());
            assertEquals(404, c.read().status());
            assertTrue(c.read().body().startsWith("{\"zxid\""));
            assertEquals("v2", c.read().body());
            // The node's thread gives a txn's bytes back just after it hands over the reply.
            awaitTrue(() -> s.heldBytes() == 0, 5_000, "every body and txn given back");
        }
    }

    /** One node of three, alone: its writes wait for a quorum that never comes. */
    private static ZabNode lonelyNode(KvStateMachine kv) throws Exception {
        return new NodeWiring().config(config(1)).stateMachine(kv)
                .transport(new LoopbackNetwork().transport()).build().start();
    }

    /**
     * The bytes held: a body is refused when it would not fit (its connection closes, the body
     * unread), and so is a write whose txn would not fit (the connection stays).
     */
    @Test
    void requestsBeyondTheHeldBytesGet503WithRetryAfter() throws Exception {
        KvStateMachine kv = new KvStateMachine();
        try (ZabNode node = lonelyNode(kv);
                KvServer s = new KvServer(node, kv, new InetSocketAddress("127.0.0.1", 0),
                        HttpLimits.defaults(1024).withMaxInFlightBytes(100), 20_000).start();
                RawHttp first = new RawHttp(s.address(), 10_000);
                RawHttp second = new RawHttp(s.address(), 10_000);
                RawHttp third = new RawHttp(s.address(), 10_000)) {
            first.send(RawHttp.request("PUT", "/kv/a", "x".repeat(60)));
            awaitTrue(() -> s.inFlightRequests() == 1, 5_000, "the first write in flight");
            second.send(RawHttp.request("PUT", "/kv/b", "y".repeat(60)));
            RawHttp.Response r = second.read();
            assertError(r, 503, "overloaded");
            assertEquals("1", r.headers().get("retry-after"));
            assertTrue(second.closedByServer(), "closed: the body was not read");
            third.send(RawHttp.request("DELETE", "/kv/" + "k".repeat(40), ""));
            r = third.read();
            assertError(r, 503, "overloaded");
            assertEquals("1", r.headers().get("retry-after"));
            third.send(RawHttp.request("GET", "/kv/a", ""));
            assertEquals(404, third.read().status(), "reads need no room");
        }
    }

    /**
     * A write waiting on the node outlives the idle timeout (it is not idleness) and gets a 504
     * (outcome unknown) when the server closes; the server's threads are gone once close() returns.
     */
    @Test
    void closingAnswersARequestInFlightWith504AndEndsTheLoops() throws Exception {
        KvStateMachine kv = new KvStateMachine();
        try (ZabNode node = lonelyNode(kv)) {
            KvServer s = new KvServer(node, kv, new InetSocketAddress("127.0.0.1", 0),
                    HttpLimits.defaults(1024).withIdleTimeoutMs(200), 20_000).start();
            try (RawHttp c = new RawHttp(s.address(), 10_000)) {
                c.send(RawHttp.request("PUT", "/kv/a", "1"));
                awaitTrue(() -> s.inFlightRequests() == 1, 5_000, "the write in flight");
                Thread.sleep(600);
                s.close();
                RawHttp.Response r = c.read();
                assertError(r, 504, "server closing");
                assertTrue(c.closedByServer(), "closed after the 504");
            } finally {
                s.close();
            }
            // This server's threads only: other tests' servers may still be ending theirs in
            // this JVM.
            String prefix = s.threadPrefix();
            awaitTrue(() -> serverThreads(prefix) == 0, 2_000, "no thread of it left");
        }
    }

    /**
     * One timer serves a connection's requests: when it fires for an earlier request's deadline
     * it must not answer a later one, whose deadline is still ahead. With no leader, each write
     * is refused 503 after half the timeout (it waited for a leader that never came).
     */
    @Test
    void aLaterRequestIsNotTimedOutByAnEarlierOnesDeadline() throws Exception {
        KvStateMachine kv = new KvStateMachine();
        try (ZabNode node = lonelyNode(kv);
                KvServer s = new KvServer(node, kv, new InetSocketAddress("127.0.0.1", 0),
                        HttpLimits.defaults(1024), 1_000).start();
                RawHttp c = new RawHttp(s.address(), 10_000)) {
            long start = System.nanoTime();
            c.send(RawHttp.request("PUT", "/kv/a", "1"));
            assertError(c.read(), 503, "no quorum");
            // The first request's deadline (1 s after it started) falls inside the second's.
            Thread.sleep(200);
            c.send(RawHttp.request("PUT", "/kv/b", "2"));
            RawHttp.Response r = c.read();
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertError(r, 503, "no quorum");
            assertTrue(tookMs >= 1_000, "answered after the first deadline passed: " + tookMs);
        }
    }

    @Test
    void plainTargetsAreWhatUriParsingWouldMakeOfThem() throws Exception {
        String[] targets = {"/kv/a", "/kv/a-b_c.d~e/f", "/status", "/", "/kv/a%20b", "/kv/a?x=1",
            "/kv/a+b", "/kv/é", "kv/a", "", "/kv/a#f", "/kv/a b"};
        for (String t : targets) {
            boolean plain = KvApi.plain(t);
            if (plain) {
                java.net.URI u = new java.net.URI(t);
                assertEquals(t, u.getRawPath(), t);
                assertEquals(null, u.getRawQuery(), t);
                assertEquals(t, java.net.URLDecoder.decode(t,
                        java.nio.charset.StandardCharsets.UTF_8), t);
            }
            assertEquals(t.matches("/[A-Za-z0-9._~/-]*"), plain, t);
        }
    }

    private static long serverThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix)).count();
    }

    @Test
    void onlyALoopbackListenerIsSilent() {
        assertTrue(KvServer.exposure(new InetSocketAddress("127.0.0.5", 8080)).isEmpty());
        assertTrue(KvServer.exposure(new InetSocketAddress("::1", 8080)).isEmpty());
        assertTrue(KvServer.exposure(new InetSocketAddress("0.0.0.0", 8080)).orElseThrow()
                .contains("no authentication"));
        // Only an address object: nothing listens there.
        assertTrue(KvServer.exposure(new InetSocketAddress("192.0.2.1", 8080)).isPresent());
    }
}
