package io.zab.examples.chaos;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.regex.Pattern;

/**
 * One fixed-schedule scenario of the process tests (DiskFaultIT, PartitionIT): its cluster, the
 * client's writes with their outcomes, and the checks at the end. Every key is written once; a
 * write is acknowledged (200 with its zxid), refused (503: never applied, as the API promises)
 * or unknown (504, timeout, connection lost). Keeps logs and data on failure, deletes them on
 * success.
 *
 * <p>The test's thread, plus {@link Writer} threads (the outcome maps are concurrent).
 */
final class ScenarioRun implements AutoCloseable {
    static final Duration LEADER = Duration.ofSeconds(90);
    static final Duration CONVERGENCE = Duration.ofSeconds(60);
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(5);
    static final Pattern ROLE = Pattern.compile("\"role\":\"(\\w+)\"");
    static final Pattern EPOCH = Pattern.compile("\"epoch\":(\\d+)");
    private static final Pattern ZXID = Pattern.compile("\"zxid\":\"0x(\\w+)\"");

    final Path root;
    final ProcessCluster c;
    final String name;
    final int n;
    final long started = System.nanoTime();
    final Map<String, String> acked = new ConcurrentHashMap<>();
    final Map<String, Long> zxids = new ConcurrentHashMap<>();
    final Map<String, String> unknown = new ConcurrentHashMap<>();
    /** Keys answered 503: never applied, so never readable anywhere. */
    final Map<String, String> refused = new ConcurrentHashMap<>();
    /** The nodes the end checks read: all of them, unless the membership changed. */
    private volatile List<Integer> members;
    private boolean passed;

    /**
     * Starts {@code nodes} servers under a fresh temporary directory named after {@code kind}
     * and {@code name}; with {@code tmpfsMegabytes > 0} each data directory is a tmpfs of its
     * own (see {@link ProcessCluster}).
     */
    ScenarioRun(String kind, String name, int nodes, int tmpfsMegabytes) throws Exception {
        this(kind, name, nodes, tmpfsMegabytes, nodes, c -> { });
    }

    /**
     * As above, but {@code setup} shapes the cluster first (options, founders) and only nodes
     * 1 to {@code started} start: the others are servers a membership change adds later.
     */
    ScenarioRun(String kind, String name, int nodes, int tmpfsMegabytes, int started,
            Consumer<ProcessCluster> setup) throws Exception {
        this.name = name;
        this.n = nodes;
        this.members = range(1, nodes);
        root = Files.createTempDirectory("zab-" + kind + "-" + name + "-");
        System.out.println(name + ": servers, logs and data in " + root);
        c = new ProcessCluster(nodes, root, tmpfsMegabytes);
        try {
            setup.accept(c);
            for (int id = 1; id <= started; id++) {
                c.start(id);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int id = from; id <= to; id++) {
            out.add(id);
        }
        return out;
    }

    /**
     * The nodes {@link #finish} and {@link #checkRefusedAbsent} check from now on: the members
     * of the final membership (a removed node keeps its last state, and one never added has
     * none).
     */
    void members(Collection<Integer> ids) {
        members = List.copyOf(new TreeSet<>(ids));
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static String hex(long zxid) {
        return "0x" + Long.toHexString(zxid);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    int leader() throws Exception {
        await("a leader", () -> c.leader() != null, LEADER);
        return c.leader();
    }

    void await(String what, Condition cond) throws Exception {
        await(what, cond, Duration.ofSeconds(30));
    }

    void await(String what, Condition cond, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!cond.holds()) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within " + limit.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
        note(what);
    }

    /** Prints a step with the time since the run began (where the time goes). */
    void note(String what) {
        System.out.printf("%s: %6d ms  %s%n", name,
                (System.nanoTime() - started) / 1_000_000, what);
    }

    void fail(String why) {
        org.junit.jupiter.api.Assertions.fail(why + "; logs and data kept in " + root + "\n"
                + c.tailLogs(15));
    }

    /** The zxid of an acknowledged write, or null (refused or unknown) if not acked. */
    Long put(int node, String key, String value) throws InterruptedException {
        unknown.put(key, value);
        try {
            HttpResponse<String> res = c.call(node, "PUT", "/kv/" + enc(key), value,
                    WRITE_TIMEOUT);
            var m = ZXID.matcher(res.body());
            if (res.statusCode() == 200 && m.find()) {
                long z = Long.parseUnsignedLong(m.group(1), 16);
                acked.put(key, value);
                zxids.put(key, z);
                unknown.remove(key);
                return z;
            }
            if (res.statusCode() == 503) {
                unknown.remove(key); // never applied, as the API promises
                refused.put(key, value);
            }
        } catch (IOException e) {
            // timeout or connection lost: unknown
        }
        return null;
    }

    /** Writes {@code count} keys through {@code node}, each retried until acknowledged. */
    List<String> writeAll(int node, String prefix, int count, String value) throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = prefix + i;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int attempt = 0;
            while (put(node, key + (attempt == 0 ? "" : "-" + attempt), value) == null) {
                if (System.nanoTime() > deadline) {
                    fail("no write acknowledged by node " + node + " within 30 s");
                }
                Thread.sleep(200);
                attempt++;
            }
            keys.add(key + (attempt == 0 ? "" : "-" + attempt));
        }
        return keys;
    }

    String status(int id) {
        return c.status(id);
    }

    Long appliedOf(int id) {
        String a = c.applied(id);
        return a == null ? null : Long.parseUnsignedLong(a.substring(2), 16);
    }

    /** Whether {@code f} applied as far as {@code l} (both answering). */
    boolean inStep(int f, int l) {
        Long a = appliedOf(f);
        return a != null && a.equals(appliedOf(l));
    }

    /** The epoch node {@code id} reports, or -1 if it does not answer. */
    long epochOf(int id) {
        String e = ProcessCluster.field(EPOCH, status(id));
        return e == null ? -1 : Long.parseLong(e);
    }

    /** The role node {@code id} reports (LEADING, FOLLOWING, LOOKING...), or null. */
    String roleOf(int id) {
        return ProcessCluster.field(ROLE, status(id));
    }

    boolean logSays(int id, String text) throws IOException {
        return Files.readString(c.logFile(id)).contains(text);
    }

    List<String> linesSince(int id, long offset) throws IOException {
        byte[] all = Files.readAllBytes(c.logFile(id));
        String tail = new String(all, (int) Math.min(offset, all.length),
                all.length - (int) Math.min(offset, all.length), StandardCharsets.UTF_8);
        return tail.lines().toList();
    }

    /**
     * Whether a plain (local) read on {@code id} finds every key with its value; false too when
     * the node cannot be reached now (callers poll this within a deadline: a connection refused
     * or timed out on a loaded machine is "not yet", not a failure of the scenario).
     */
    boolean hasLocally(int id, List<String> keys) throws Exception {
        for (String k : keys) {
            HttpResponse<String> res;
            try {
                res = c.call(id, "GET", "/kv/" + enc(k), null, WRITE_TIMEOUT);
            } catch (java.io.IOException e) {
                return false;
            }
            if (res.statusCode() != 200 || !res.body().equals(acked.get(k))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Convergence, then every acknowledged key read back on every member. Local reads: with
     * the same applied zxid everywhere and no write in flight they see the final state
     * (linearizability is ChaosIT's job), and cost no sync round each.
     */
    void finish() throws Exception {
        await("convergence (same digest and applied zxid on every member " + members + ")",
                this::converged, CONVERGENCE);
        List<String> wrong = perNode(this::readBack);
        if (!wrong.isEmpty()) {
            fail(wrong.size() + " acknowledged writes read back wrong: " + wrong);
        }
        note(acked.size() + " acknowledged keys read back on every member");
    }

    /**
     * After {@link #finish}: no write answered 503 is readable on any node (the API promises
     * it was not applied and never will be).
     */
    void checkRefusedAbsent() throws Exception {
        List<String> present = perNode(id -> {
            List<String> found = new ArrayList<>();
            try {
                for (String k : new TreeMap<>(refused).keySet()) {
                    String got = get(id, k);
                    if (got != null) {
                        found.add("node " + id + " " + k + " -> " + abbrev(got));
                    }
                }
            } catch (IOException e) {
                found.add("node " + id + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                found.add("node " + id + ": interrupted");
            }
            return found;
        });
        if (!present.isEmpty()) {
            fail(present.size() + " writes answered 503 (not applied) were applied: " + present);
        }
        note(refused.size() + " refused writes absent on every member");
    }

    /**
     * {@code check} on every member, one thread each (a request costs tens of ms on a loaded
     * host; the common pool may have a single thread), its findings concatenated.
     */
    private List<String> perNode(IntFunction<List<String>> check) throws Exception {
        List<Integer> ids = members;
        ExecutorService pool = Executors.newFixedThreadPool(ids.size());
        try {
            List<Future<List<String>>> checks = new ArrayList<>();
            for (int node : ids) {
                checks.add(pool.submit(() -> check.apply(node)));
            }
            List<String> out = new ArrayList<>();
            for (Future<List<String>> f : checks) {
                out.addAll(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** What node {@code id} reads back wrong. */
    private List<String> readBack(int id) {
        List<String> wrong = new ArrayList<>();
        try {
            for (Map.Entry<String, String> e : new TreeMap<>(acked).entrySet()) {
                String got = get(id, e.getKey());
                if (!e.getValue().equals(got)) {
                    wrong.add("node " + id + " " + e.getKey() + " -> " + abbrev(got));
                }
            }
            for (Map.Entry<String, String> e : new TreeMap<>(unknown).entrySet()) {
                String got = get(id, e.getKey());
                if (got != null && !got.equals(e.getValue())) {
                    wrong.add("node " + id + " unknown " + e.getKey() + " -> " + abbrev(got));
                }
            }
        } catch (IOException e) {
            wrong.add("node " + id + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            wrong.add("node " + id + ": interrupted");
        }
        return wrong;
    }

    /** A local read: the value, null for 404, a marker for any other answer. */
    String get(int id, String key) throws IOException, InterruptedException {
        HttpResponse<String> res = c.call(id, "GET", "/kv/" + enc(key), null,
                Duration.ofSeconds(10));
        if (res.statusCode() != 200 && res.statusCode() != 404) {
            return "HTTP " + res.statusCode() + ": " + res.body();
        }
        return res.statusCode() == 200 ? res.body() : null;
    }

    private static String abbrev(String s) {
        return s == null || s.length() <= 20 ? s : s.substring(0, 20) + "...";
    }

    /** The scenario passed: {@link #close} deletes what it kept. */
    void passed() {
        passed = true;
    }

    boolean converged() {
        List<Integer> ids = members;
        String digest = c.digest(ids.get(0));
        String applied = c.applied(ids.get(0));
        if (digest == null || applied == null) {
            return false;
        }
        for (int id : ids) {
            if (!digest.equals(c.digest(id)) || !applied.equals(c.applied(id))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        c.keepDisksOnClose(!passed);
        c.close();
        if (!passed) {
            System.out.println("kept in " + root);
            return;
        }
        Trees.delete(root);
    }

    /**
     * A client thread writing fresh keys {@code prefix + i} (value the key) through node
     * {@code target(i)}, one request at a time, until stopped; remembers when each request
     * was sent and its zxid if acknowledged.
     */
    static final class Writer extends Thread {
        /**
         * One request: its key, node, send and answer times (System.nanoTime) and zxid (null:
         * not acked).
         */
        record Sent(String key, int node, long sentNanos, long answeredNanos, Long zxid) {
        }

        private final ScenarioRun run;
        private final String prefix;
        private final IntUnaryOperator target;
        private final long pauseMillis;
        private final List<Sent> sent = new ArrayList<>();
        private volatile boolean stopping;

        Writer(ScenarioRun run, String prefix, IntUnaryOperator target) {
            this(run, prefix, target, 20);
        }

        /** @param pauseMillis the pause after each request */
        Writer(ScenarioRun run, String prefix, IntUnaryOperator target, long pauseMillis) {
            super(run.name + "-writer-" + prefix);
            this.run = run;
            this.prefix = prefix;
            this.target = target;
            this.pauseMillis = pauseMillis;
            setDaemon(true);
        }

        @Override
        public void run() {
            for (int i = 0; !stopping; i++) {
                try {
                    int node = target.applyAsInt(i);
                    long at = System.nanoTime();
                    Long z = run.put(node, prefix + i, prefix + i);
                    synchronized (sent) {
                        sent.add(new Sent(prefix + i, node, at, System.nanoTime(), z));
                    }
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Every request so far, in the order sent. */
        List<Sent> sent() {
            synchronized (sent) {
                return List.copyOf(sent);
            }
        }

        long ackedAfter(long epoch) {
            return sent().stream().filter(s -> s.zxid() != null && (s.zxid() >>> 32) > epoch)
                    .count();
        }

        /** Acknowledged writes sent at or after {@code nanos} (System.nanoTime). */
        long ackedSince(long nanos) {
            return sent().stream().filter(s -> s.zxid() != null && s.sentNanos() - nanos >= 0)
                    .count();
        }

        void finish() throws InterruptedException {
            stopping = true;
            join(WRITE_TIMEOUT.toMillis() + 5_000);
            if (isAlive()) {
                throw new IllegalStateException("the writer " + getName() + " did not stop");
            }
        }
    }

    /**
     * The nodes a {@link Writer} sends to, round robin, changed by the test thread as members
     * come, go, die and come back; the writer thread reads them.
     */
    static final class Targets {
        private volatile List<Integer> ids;

        Targets(Collection<Integer> ids) {
            set(ids);
        }

        void set(Collection<Integer> now) {
            ids = List.copyOf(new TreeSet<>(now));
        }

        /** The node for the writer's {@code i}th request. */
        int pick(int i) {
            List<Integer> now = ids;
            return now.get(i % now.size());
        }
    }
}
