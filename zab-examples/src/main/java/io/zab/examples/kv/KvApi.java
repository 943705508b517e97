package io.zab.examples.kv;

import io.zab.MetricsRecorder;
import io.zab.NodeStatus;
import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.ZabNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KV API without HTTP's plumbing: a complete request in, a future reply out. Nothing here
 * waits: writes and linearizable reads return the node's future, mapped to a reply by the
 * thread that completes it (a map lookup or a short string at most, as the node asks of such
 * stages). The caller hops to its own thread to write the reply and applies the timeout. No
 * request is retried behind the client's back.
 *
 * <ul>
 *   <li>{@code PUT /kv/{key}} (value as body; {@code ?expect=v} for compare-and-set,
 *       {@code ?expectAbsent=true} for put-if-absent);</li>
 *   <li>{@code DELETE /kv/{key}}; {@code GET /kv/{key}} ({@code ?linearizable=true} syncs
 *       first); {@code GET /status}; {@code GET /metrics} (Prometheus text 0.0.4);</li>
 *   <li>{@code POST /leader} with a voter's id as body: hands this node's leadership to it
 *       (200 once it leads; 400 for a bad body; 503 refused, nothing changed; 504 timed
 *       out);</li>
 *   <li>{@code GET /members}, {@code PUT /members/{id}} ({@code voter=HOST:PORT} or
 *       {@code observer=HOST:PORT}), {@code DELETE /members/{id}}: see {@link MembersApi}.</li>
 * </ul>
 */
final class KvApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvApi.class);

    private final ZabNode node;
    private final KvStateMachine kv;
    private final long timeoutMs;
    private final InFlightBudget budget;
    /**
     * /status hashes the whole map, which takes long on a large state: it runs here rather
     * than stall every connection of an event loop. One thread; at most one request per
     * connection queues on it.
     */
    private final ExecutorService statusThread;
    /** The node's metrics for GET /metrics, or null when the node reports none. */
    private final MetricsRecorder metrics;
    private final MembersApi members;

    KvApi(ZabNode node, KvStateMachine kv, long timeoutMs, InFlightBudget budget, String name,
            MetricsRecorder metrics) {
        this.node = node;
        this.metrics = metrics;
        this.kv = kv;
        this.timeoutMs = timeoutMs;
        this.budget = budget;
        this.members = new MembersApi(node, admissionWait());
        this.statusThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    CompletableFuture<Reply> handle(KvRequest request) {
        try {
            return route(request);
        } catch (BadRequest e) {
            return done(Reply.error(e.status, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("request {} {} failed", request.method(), request.target(), e);
            return done(Reply.error(500, "internal error: " + e));
        }
    }

    private CompletableFuture<Reply> route(KvRequest request) {
        String target = request.target();
        String path;
        Map<String, String> query;
        if (plain(target)) {
            // What URI would make of it, without its cost on every request.
            path = target;
            query = Map.of();
        } else {
            URI uri;
            try {
                uri = new URI(target);
            } catch (URISyntaxException e) {
                throw new BadRequest(400, "malformed request target: " + e.getMessage());
            }
            path = uri.getRawPath() == null ? "" : uri.getRawPath();
            query = query(uri.getRawQuery());
        }
        String method = request.method();
        if (path.equals("/status")) {
            requireMethod(method, "GET");
            return CompletableFuture.supplyAsync(() -> Reply.ok(statusJson()), statusThread);
        }
        if (path.equals("/metrics")) {
            requireMethod(method, "GET");
            if (metrics == null) {
                throw new BadRequest(404, "this server reports no metrics");
            }
            return CompletableFuture.supplyAsync(this::metricsText, statusThread);
        }
        if (path.equals("/leader")) {
            requireMethod(method, "POST");
            onlyParams(query);
            return transferLeadership(request.body());
        }
        if (path.equals("/members") || path.startsWith("/members/")) {
            onlyParams(query);
            return members(method, path, request.body());
        }
        if (!path.startsWith("/kv/") || path.length() == 4) {
            throw new BadRequest(404, "no such resource: " + path
                    + " (use /kv/{key}, /members, /leader, /status or /metrics)");
        }
        String key = decode(path.substring(4), "key");
        return switch (method) {
            case "GET" -> get(key, query);
            case "PUT" -> put(key, query, request.body());
            case "DELETE" -> {
                onlyParams(query);
                yield write(KvCommand.delete(key));
            }
            default -> throw new BadRequest(405, "method " + method + " not allowed on /kv/");
        };
    }

    private CompletableFuture<Reply> members(String method, String path, byte[] body) {
        if (path.equals("/members")) {
            requireMethod(method, "GET");
            return done(members.list());
        }
        String id = decode(path.substring("/members/".length()), "member id");
        return switch (method) {
            case "PUT" -> members.put(id, utf8(body, "body"));
            case "DELETE" -> members.delete(id);
            default -> throw new BadRequest(405, "method " + method + " not allowed on /members/");
        };
    }

    private CompletableFuture<Reply> get(String key, Map<String, String> query) {
        onlyParams(query, "linearizable");
        String lin = query.getOrDefault("linearizable", "false");
        if (!lin.equals("true") && !lin.equals("false")) {
            throw new BadRequest(400, "linearizable must be true or false, was " + lin);
        }
        if (lin.equals("false")) {
            return done(read(key));
        }
        if (!budget.tryAcquire(0)) {
            return done(Reply.retryLater("overloaded"));
        }
        CompletableFuture<?> synced = call(() -> node.sync(admissionWait()), 0);
        return synced.handle((zxid, e) -> e == null ? read(key) : failure(e));
    }

    private Reply read(String key) {
        String value = kv.get(key);
        return value == null ? Reply.error(404, "no such key: " + key) : Reply.ok(value);
    }

    private CompletableFuture<Reply> put(String key, Map<String, String> query, byte[] body) {
        onlyParams(query, "expect", "expectAbsent");
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
        return write(c);
    }

    private CompletableFuture<Reply> write(KvCommand c) {
        byte[] txn = c.encode();
        if (!budget.tryAcquire(txn.length)) {
            return done(Reply.retryLater("overloaded"));
        }
        CompletableFuture<SubmitResult> f = call(() -> node.submit(ByteBuffer.wrap(txn),
                admissionWait()), txn.length);
        return f.handle((r, e) -> e == null ? written(c, r) : failure(e));
    }

    private static Reply written(KvCommand c, SubmitResult r) {
        KvResult result = (KvResult) r.value();
        if (c.op() == KvCommand.Op.CAS && !result.applied()) {
            return new Reply(409, "{\"error\":\"current value differs\",\"current\":"
                    + Json.str(result.previous()) + ",\"zxid\":\"" + r.zxid() + "\"}", false);
        }
        return Reply.ok("{\"zxid\":\"" + r.zxid() + "\"}");
    }

    /** Calls the node with room of {@code bytes} already taken; gives it back on completion. */
    private <T> CompletableFuture<T> call(java.util.function.Supplier<CompletableFuture<T>> c,
            long bytes) {
        CompletableFuture<T> f;
        try {
            f = c.get();
        } catch (RuntimeException e) {
            budget.release(bytes);
            throw e;
        }
        f.whenComplete((r, e) -> budget.release(bytes));
        return f;
    }

    /**
     * How long a request may wait for a leader and for room: half the timeout, so that a
     * request that found neither is answered 503 (never applied) before the timeout's 504.
     */
    private Duration admissionWait() {
        return Duration.ofMillis(timeoutMs / 2);
    }

    /**
     * POST /leader: the body is the id of the voter to lead next. The transfer gets half the
     * request timeout, so that its own timeout (504) comes before the server's.
     */
    private CompletableFuture<Reply> transferLeadership(byte[] body) {
        String text = utf8(body, "body").strip();
        int id;
        try {
            id = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new BadRequest(400, "the body must be the id of the peer to lead next, was "
                    + Json.str(text));
        }
        if (id < 1) {
            throw new BadRequest(400, "peer ids are positive, was " + id);
        }
        io.zab.PeerId target = new io.zab.PeerId(id);
        return node.transferLeadership(target, admissionWait()).handle((v, e) -> {
            if (e == null) {
                return Reply.ok("{\"leader\":" + id + "}");
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause instanceof ZabException.TransferTimeoutException) {
                return Reply.error(504, "leadership transfer timed out: "
                        + cause.getMessage());
            }
            if (cause instanceof ZabException) {
                // NotLeader, TransferRefused, Recovering, Closed: refused, nothing changed.
                return new Reply(503, Json.error("leadership transfer refused: "
                        + cause.getMessage()), false);
            }
            LOG.warn("leadership transfer to {} failed", id, cause);
            return Reply.error(500, "internal error: " + cause);
        });
    }

    private static Reply failure(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null
                ? e.getCause() : e;
        if (cause instanceof ZabException.OutcomeUnknownException) {
            return Reply.error(504, "timeout, outcome unknown");
        } else if (cause instanceof ZabException.TxnTooLargeException) {
            return Reply.error(413, cause.getMessage());
        } else if (cause instanceof ZabException.OverloadedException) {
            return Reply.retryLater("overloaded");
        }
        // NotLeader, Closed, Recovering: the write was not applied and never will be.
        return Reply.retryLater("no quorum");
    }

    private String statusJson() {
        NodeStatus s = node.status();
        StringBuilder learners = new StringBuilder("{");
        s.learners().forEach((id, l) -> learners.append(learners.length() > 1 ? "," : "")
                .append('"').append(id.value()).append("\":{\"phase\":")
                .append(Json.str(l.phase())).append(",\"ackedZxid\":\"").append(l.ackedZxid())
                .append("\",\"lagTxns\":").append(l.lagTxns()).append('}'));
        learners.append('}');
        return "{\"id\":" + s.id() + ",\"role\":\"" + s.role() + "\",\"epoch\":" + s.epoch()
                + ",\"lastZxid\":\"" + s.lastLoggedZxid() + "\",\"committedZxid\":\""
                + s.lastCommittedZxid() + "\",\"leader\":"
                + (s.broadcasting() ? s.leader().map(Object::toString).orElse("null") : "null")
                + ",\"applied\":\"" + kv.lastApplied() + "\",\"digest\":\"" + kv.digest()
                + "\",\"abstaining\":" + s.abstaining()
                + ",\"explanation\":" + Json.str(s.explanation())
                + ",\"lastElectionMs\":" + s.lastElection().map(d -> d.toMillis()).orElse(-1L)
                + ",\"inflightBytes\":" + s.inflightBytes()
                + ",\"learners\":" + learners + "}";
    }

    private Reply metricsText() {
        StringBuilder out = new StringBuilder(4096);
        try {
            metrics.writePrometheus(node, out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringBuilder does not throw
        }
        return Reply.metrics(out.toString());
    }

    static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new BadRequest(405, "method " + method + " not allowed here");
        }
    }

    private static void onlyParams(Map<String, String> query, String... allowed) {
        for (String k : query.keySet()) {
            if (!List.of(allowed).contains(k)) {
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

    /**
     * Whether {@code target} is an absolute path of unreserved characters only (RFC 3986),
     * which URI parsing and percent-decoding would both leave as it is.
     */
    static boolean plain(String target) {
        if (target.isEmpty() || target.charAt(0) != '/') {
            return false;
        }
        for (int i = 1; i < target.length(); i++) {
            char c = target.charAt(i);
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'
                    || c == '/';
            if (!unreserved) {
                return false;
            }
        }
        return true;
    }

    private static String decode(String raw, String what) {
        if (!raw.isEmpty() && raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
            return raw; // nothing to decode
        }
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
            return Utf8.decode(b, 0, b.length);
        } catch (CharacterCodingException e) {
            throw new BadRequest(400, what + " is not valid UTF-8");
        }
    }

    @Override
    public void close() {
        statusThread.shutdownNow();
    }

    /** A request refused for what it says, before it reaches the node. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
