package io.zab.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zab.NodeStatus;
import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.ZabNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of one KV replica, on the JDK's HttpServer. Requests run on a small pool of
 * their own and wait on zab's futures there, never on the protocol thread. No request is
 * retried behind the client's back.
 *
 * <ul>
 *   <li>{@code PUT /kv/{key}} (value as body; {@code ?expect=v} for compare-and-set,
 *       {@code ?expectAbsent=true} for put-if-absent);</li>
 *   <li>{@code DELETE /kv/{key}}; {@code GET /kv/{key}} ({@code ?linearizable=true} syncs
 *       first); {@code GET /status}.</li>
 * </ul>
 */
public final class KvServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);

    private final ZabNode node;
    private final KvStateMachine kv;
    private final int maxValueBytes;
    private final long timeoutMs;
    private final HttpServer server;
    private final ExecutorService pool;

    public KvServer(ZabNode node, KvStateMachine kv, InetSocketAddress address,
            int maxValueBytes, long timeoutMs) throws IOException {
        this.node = node;
        this.kv = kv;
        this.maxValueBytes = maxValueBytes;
        this.timeoutMs = timeoutMs;
        this.server = HttpServer.create(address, 64);
        this.pool = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "kv-http-" + address.getPort());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
    }

    public KvServer start() {
        server.start();
        return this;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange x) throws IOException {
        try {
            route(x);
        } catch (BadRequest e) {
            reply(x, e.status, Json.error(e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("request {} {} failed", x.getRequestMethod(), x.getRequestURI(), e);
            reply(x, 500, Json.error("internal error: " + e));
        } finally {
            x.close();
        }
    }

    private void route(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getRawPath();
        String method = x.getRequestMethod();
        Map<String, String> query = query(x.getRequestURI().getRawQuery());
        if (path.equals("/status")) {
            requireMethod(method, "GET");
            reply(x, 200, statusJson());
            return;
        }
        if (!path.startsWith("/kv/") || path.length() == 4) {
            throw new BadRequest(404, "no such resource: " + path
                    + " (use /kv/{key} or /status)");
        }
        String key = decode(path.substring(4), "key");
        switch (method) {
            case "GET" -> get(x, key, query);
            case "PUT" -> put(x, key, query);
            case "DELETE" -> {
                onlyParams(query);
                write(x, KvCommand.delete(key));
            }
            default -> throw new BadRequest(405, "method " + method + " not allowed on /kv/");
        }
    }

    private void get(HttpExchange x, String key, Map<String, String> query) throws IOException {
        onlyParams(query, "linearizable");
        String lin = query.getOrDefault("linearizable", "false");
        if (!lin.equals("true") && !lin.equals("false")) {
            throw new BadRequest(400, "linearizable must be true or false, was " + lin);
        }
        if (lin.equals("true")) {
            await(() -> node.sync(admissionWait()).get(timeoutMs, TimeUnit.MILLISECONDS), x);
            if (x.getResponseCode() > 0) {
                return;
            }
        }
        String value = kv.get(key);
        if (value == null) {
            reply(x, 404, Json.error("no such key: " + key));
        } else {
            reply(x, 200, value);
        }
    }

    private void put(HttpExchange x, String key, Map<String, String> query) throws IOException {
        onlyParams(query, "expect", "expectAbsent");
        byte[] body = readBody(x);
        String value = utf8(body, "value");
        KvCommand c;
        if (query.containsKey("expect")) {
            c = KvCommand.cas(key, query.get("expect"), value);
        } else if (query.containsKey("expectAbsent")) {
            if (!query.get("expectAbsent").equals("true")) {
                throw new BadRequest(400, "expectAbsent must be true");
            }
            c = KvCommand.cas(key, null, value);
        } else {
            c = KvCommand.put(key, value);
        }
        write(x, c);
    }

    private void write(HttpExchange x, KvCommand c) throws IOException {
        SubmitResult r = await(() -> node.submit(ByteBuffer.wrap(c.encode()), admissionWait())
                .get(timeoutMs, TimeUnit.MILLISECONDS), x);
        if (r == null) {
            return;
        }
        KvResult result = (KvResult) r.value();
        if (c.op() == KvCommand.Op.CAS && !result.applied()) {
            reply(x, 409, "{\"error\":\"current value differs\",\"current\":"
                    + Json.str(result.previous()) + ",\"zxid\":\"" + r.zxid() + "\"}");
        } else {
            reply(x, 200, "{\"zxid\":\"" + r.zxid() + "\"}");
        }
    }

    /**
     * How long a request may wait for a leader and for room: half the timeout, so that a
     * request that found neither is answered 503 (never applied) before the timeout's 504.
     */
    private java.time.Duration admissionWait() {
        return java.time.Duration.ofMillis(timeoutMs / 2);
    }

    private interface Call<T> {
        T call() throws InterruptedException, ExecutionException, TimeoutException;
    }

    /** Runs a zab call; on failure replies with the mapped status and returns null. */
    private <T> T await(Call<T> call, HttpExchange x) throws IOException {
        try {
            return call.call();
        } catch (TimeoutException e) {
            reply(x, 504, Json.error("timeout, outcome unknown"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply(x, 503, Json.error("interrupted"));
        } catch (ExecutionException e) {
            failure(x, e.getCause());
        }
        return null;
    }

    private void failure(HttpExchange x, Throwable cause) throws IOException {
        if (cause instanceof ZabException.OutcomeUnknownException) {
            reply(x, 504, Json.error("timeout, outcome unknown"));
        } else if (cause instanceof ZabException.TxnTooLargeException) {
            reply(x, 413, Json.error(cause.getMessage()));
        } else if (cause instanceof ZabException.OverloadedException) {
            x.getResponseHeaders().set("Retry-After", "1");
            reply(x, 503, Json.error("overloaded"));
        } else {
            // NotLeader and Closed: the write was not applied and never will be.
            x.getResponseHeaders().set("Retry-After", "1");
            reply(x, 503, Json.error("no quorum"));
        }
    }

    private byte[] readBody(HttpExchange x) throws IOException {
        try (InputStream in = x.getRequestBody()) {
            byte[] b = in.readNBytes(maxValueBytes + 1);
            if (b.length > maxValueBytes) {
                throw new BadRequest(413, "value larger than " + maxValueBytes + " bytes");
            }
            return b;
        }
    }

    private String statusJson() {
        NodeStatus s = node.status();
        return "{\"id\":" + s.id() + ",\"role\":\"" + s.role() + "\",\"epoch\":" + s.epoch()
                + ",\"lastZxid\":\"" + s.lastLoggedZxid() + "\",\"committedZxid\":\""
                + s.lastCommittedZxid() + "\",\"leader\":"
                + (s.broadcasting() ? s.leader().map(Object::toString).orElse("null") : "null")
                + ",\"applied\":\"" + kv.lastApplied() + "\",\"digest\":\"" + kv.digest()
                + "\",\"abstaining\":" + s.abstaining() + "}";
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new BadRequest(405, "method " + method + " not allowed here");
        }
    }

    private static void onlyParams(Map<String, String> query, String... allowed) {
        for (String k : query.keySet()) {
            if (!java.util.List.of(allowed).contains(k)) {
                throw new BadRequest(400, "unknown query parameter: " + k);
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new BadRequest(400, "malformed query parameter: " + pair);
            }
            String k = decode(pair.substring(0, eq), "query");
            if (out.put(k, decode(pair.substring(eq + 1), "query")) != null) {
                throw new BadRequest(400, "query parameter given twice: " + k);
            }
        }
        return out;
    }

    private static String decode(String raw, String what) {
        try {
            String s = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            if (s.isEmpty()) {
                throw new BadRequest(400, what + " is empty");
            }
            return s;
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, "malformed " + what + ": " + e.getMessage());
        }
    }

    private static String utf8(byte[] b, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new BadRequest(400, what + " is not valid UTF-8");
        }
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", status == 200 && !body.startsWith("{")
                ? "text/plain; charset=utf-8" : "application/json");
        x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
