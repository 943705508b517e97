package io.zab.examples.chaos;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

/**
 * Concurrent clients of the KV HTTP API, each a thread issuing one request at a time to a
 * random node on a few keys: linearizable reads ({@code GET ?linearizable=true}), writes of
 * values unique to the run, and compare-and-sets from the value the client last saw. Every
 * answer becomes an {@link Op} of the history, classified as the API promises: 200/404/409 are
 * definite; 503 and a refused connection mean "not applied" (nothing is recorded); 504, a
 * timeout or a connection lost mid-request mean "unknown".
 *
 * <p>Thread-safe: {@link #start} and {@link #stop} from the test thread; the history list is
 * synchronized.
 */
final class Workload implements AutoCloseable {
    /** Counters of what the clients saw, for the report. */
    enum Count { READ_OK, WRITE_OK, CAS_OK, CAS_REFUSED, UNKNOWN, NOT_APPLIED, SERVER_ERROR }

    private static final Duration TIMEOUT = Duration.ofSeconds(6);

    private final ProcessCluster cluster;
    private final List<String> keys;
    private final int clients;
    private final long seed;
    private final long epochNanos;
    private final Supplier<List<Integer>> nodes;
    private final List<Op> history = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLongArray counts = new AtomicLongArray(Count.values().length);
    private final List<Thread> threads = new ArrayList<>();
    /** {@code -Dchaos.plainReads=true}: a negative control, reads skip sync (see ChaosIT). */
    private final String readQuery = Boolean.getBoolean("chaos.plainReads") ? ""
            : "?linearizable=true";
    private volatile boolean running;

    Workload(ProcessCluster cluster, List<String> keys, int clients, long seed, long epochNanos) {
        this(cluster, keys, clients, seed, epochNanos, () -> allOf(cluster));
    }

    /**
     * @param nodes the nodes a client may send its next request to (the members, as a
     *     membership-changing nemesis knows them), asked before each request; never empty
     */
    Workload(ProcessCluster cluster, List<String> keys, int clients, long seed, long epochNanos,
            Supplier<List<Integer>> nodes) {
        this.cluster = cluster;
        this.keys = keys;
        this.clients = clients;
        this.seed = seed;
        this.epochNanos = epochNanos;
        this.nodes = nodes;
    }

    private static List<Integer> allOf(ProcessCluster cluster) {
        List<Integer> all = new ArrayList<>();
        for (int id = 1; id <= cluster.size(); id++) {
            all.add(id);
        }
        return all;
    }

    void start() {
        running = true;
        for (int c = 1; c <= clients; c++) {
            int client = c;
            Thread t = new Thread(() -> clientLoop(client), "chaos-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops issuing requests and waits for the ones in flight (each bounded by a timeout). */
    void stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(TIMEOUT.toMillis() + 5_000);
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " did not stop");
            }
        }
    }

    /**
     * Tells the clients to stop, without waiting: for a run that failed before {@link #stop}.
     * Each ends after its request in flight (bounded by a timeout).
     */
    @Override
    public void close() {
        running = false;
    }

    List<Op> history() {
        synchronized (history) {
            return new ArrayList<>(history);
        }
    }

    /** Answers that break the API's contract (a 400, a 500, an unparsable 409). */
    List<String> problems() {
        synchronized (problems) {
            return new ArrayList<>(problems);
        }
    }

    long count(Count c) {
        return counts.get(c.ordinal());
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        for (Count c : Count.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(c.name().toLowerCase()).append(' ')
                    .append(counts.get(c.ordinal()));
        }
        return b.toString();
    }

    /**
     * A linearizable read of every key on every node the clients use (the final members), one
     * after the other, for the end of a run (after convergence): what each node finally holds
     * joins the history, so a lost acknowledged write makes it non-linearizable.
     */
    List<Op> finalReads() throws IOException, InterruptedException {
        List<Op> out = new ArrayList<>();
        for (String key : keys) {
            for (int id : nodes.get()) {
                out.add(finalRead(key, id));
            }
        }
        return out;
    }

    /**
     * One final read; a 503 or 504 (a slow machine may take longer than the server's 3 s
     * timeout) is tried again, a few times: a read that got no answer changes nothing.
     */
    private Op finalRead(String key, int id) throws IOException, InterruptedException {
        String last = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            long invoked = now();
            HttpResponse<String> r = cluster.call(id, "GET", "/kv/" + enc(key)
                    + "?linearizable=true", null, Duration.ofSeconds(10));
            long completed = now();
            if (r.statusCode() == 200 || r.statusCode() == 404) {
                return Op.read(0, key, r.statusCode() == 200 ? r.body() : null, invoked,
                        completed);
            }
            last = r.statusCode() + ": " + r.body();
            if (r.statusCode() != 503 && r.statusCode() != 504) {
                break;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("final read of " + key + " on node " + id + " answered "
                + last + "; kept in " + cluster.root);
    }

    /**
     * Fails unless every answer kept the API's contract and {@code history} (this workload's,
     * with {@link #finalReads}) is linearizable per key; returns the checker's verdicts.
     */
    List<LinearizabilityChecker.Result> checkLinearizable(List<Op> history) {
        if (!problems().isEmpty()) {
            throw new AssertionError("answers outside the API's contract (kept in "
                    + cluster.root + "):\n  " + String.join("\n  ", problems()));
        }
        List<LinearizabilityChecker.Result> results =
                new LinearizabilityChecker(50_000_000).check(history);
        LinearizabilityChecker.Result bad = LinearizabilityChecker.firstProblem(results);
        if (bad != null) {
            throw new AssertionError("history not linearizable (kept in " + cluster.root
                    + "/history.txt): " + bad);
        }
        return results;
    }

    private long now() {
        return System.nanoTime() - epochNanos;
    }

    private void clientLoop(int client) {
        SplittableRandom r = new SplittableRandom(seed * 1_000 + client);
        Map<String, String> lastSeen = new HashMap<>();
        int seq = 0;
        while (running) {
            String key = keys.get(r.nextInt(keys.size()));
            List<Integer> now = nodes.get();
            int node = now.get(r.nextInt(now.size()));
            int p = r.nextInt(10);
            try {
                if (p < 4) {
                    read(client, node, key, lastSeen);
                } else if (p < 7) {
                    write(client, node, key, "c" + client + "-" + ++seq, lastSeen);
                } else {
                    cas(client, node, key, lastSeen.get(key), "c" + client + "-" + ++seq,
                            lastSeen);
                }
                Thread.sleep(r.nextInt(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What became of a request that got no HTTP answer. */
    private static boolean notSent(IOException e) {
        return e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
    }

    private void read(int client, int node, String key, Map<String, String> lastSeen)
            throws InterruptedException {
        long invoked = now();
        HttpResponse<String> res;
        try {
            res = cluster.call(node, "GET", "/kv/" + enc(key) + readQuery, null, TIMEOUT);
        } catch (IOException e) {
            counts.incrementAndGet((notSent(e) ? Count.NOT_APPLIED : Count.UNKNOWN).ordinal());
            return;
        }
        long completed = now();
        int s = res.statusCode();
        if (s == 200 || s == 404) {
            String v = s == 200 ? res.body() : null;
            history.add(Op.read(client, key, v, invoked, completed));
            lastSeen.put(key, v);
            counts.incrementAndGet(Count.READ_OK.ordinal());
        } else {
            classifyOther(s, res.body(), "GET " + key + " at node " + node, null);
        }
    }

    private void write(int client, int node, String key, String value,
            Map<String, String> lastSeen) throws InterruptedException {
        long invoked = now();
        HttpResponse<String> res;
        try {
            res = cluster.call(node, "PUT", "/kv/" + enc(key), value, TIMEOUT);
        } catch (IOException e) {
            unknownOrNotSent(e, Op.writeUnknown(client, key, value, invoked));
            return;
        }
        long completed = now();
        if (res.statusCode() == 200) {
            history.add(Op.write(client, key, value, invoked, completed));
            lastSeen.put(key, value);
            counts.incrementAndGet(Count.WRITE_OK.ordinal());
        } else {
            classifyOther(res.statusCode(), res.body(), "PUT " + key + " at node " + node,
                    Op.writeUnknown(client, key, value, invoked));
        }
    }

    private void cas(int client, int node, String key, String expected, String value,
            Map<String, String> lastSeen) throws InterruptedException {
        long invoked = now();
        String query = expected == null ? "?expectAbsent=true" : "?expect=" + enc(expected);
        HttpResponse<String> res;
        try {
            res = cluster.call(node, "PUT", "/kv/" + enc(key) + query, value, TIMEOUT);
        } catch (IOException e) {
            unknownOrNotSent(e, Op.casUnknown(client, key, expected, value, invoked));
            return;
        }
        long completed = now();
        int s = res.statusCode();
        if (s == 200) {
            history.add(Op.cas(client, key, expected, value, invoked, completed));
            lastSeen.put(key, value);
            counts.incrementAndGet(Count.CAS_OK.ordinal());
        } else if (s == 409) {
            String current;
            try {
                current = currentOf(res.body());
            } catch (IllegalArgumentException e) {
                problems.add("409 for cas " + key + " at node " + node + ": " + e.getMessage());
                return;
            }
            history.add(Op.casFailed(client, key, expected, value, current, invoked,
                    completed));
            lastSeen.put(key, current);
            counts.incrementAndGet(Count.CAS_REFUSED.ordinal());
        } else {
            classifyOther(s, res.body(), "cas " + key + " at node " + node,
                    Op.casUnknown(client, key, expected, value, invoked));
        }
    }

    private void unknownOrNotSent(IOException e, Op unknown) {
        if (notSent(e)) {
            counts.incrementAndGet(Count.NOT_APPLIED.ordinal());
        } else {
            history.add(unknown);
            counts.incrementAndGet(Count.UNKNOWN.ordinal());
        }
    }

    /** 503: never applied. 504: unknown. Anything else breaks the API's promise. */
    private void classifyOther(int status, String body, String what, Op unknown) {
        if (status == 503) {
            counts.incrementAndGet(Count.NOT_APPLIED.ordinal());
        } else if (status == 504) {
            if (unknown != null) {
                history.add(unknown);
            }
            counts.incrementAndGet(Count.UNKNOWN.ordinal());
        } else {
            if (unknown != null) {
                history.add(unknown);
            }
            counts.incrementAndGet(Count.SERVER_ERROR.ordinal());
            problems.add(what + " answered " + status + ": " + body);
        }
    }

    /** The "current" field of a 409 body: a JSON string or null. */
    static String currentOf(String json) {
        String tag = "\"current\":";
        int i = json.indexOf(tag);
        if (i < 0) {
            throw new IllegalArgumentException("no \"current\" in " + json);
        }
        i += tag.length();
        if (json.startsWith("null", i)) {
            return null;
        }
        if (i >= json.length() || json.charAt(i) != '"') {
            throw new IllegalArgumentException("\"current\" is not a string in " + json);
        }
        StringBuilder b = new StringBuilder();
        for (i++; i < json.length(); i++) {
            char ch = json.charAt(i);
            if (ch == '"') {
                return b.toString();
            }
            if (ch == '\\' && i + 1 < json.length()) {
                char e = json.charAt(++i);
                if (e == 'u' && i + 4 < json.length()) {
                    b.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                } else {
                    b.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        default -> e;
                    });
                }
            } else {
                b.append(ch);
            }
        }
        throw new IllegalArgumentException("unterminated \"current\" in " + json);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
