package io.zab.examples.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * N {@code server} processes of the built jar (target/zab-examples.jar), node i on its own
 * loopback address 127.0.0.(10 + i) for both its quorum and HTTP ports, so a {@link Firewall}
 * can cut links with real packet drops, and the process faults of a nemesis: kill -9 and
 * restart from the data directory, SIGSTOP and SIGCONT. Everything lives under {@link #root}:
 * one data directory and one log per node. With a tmpfs size, each data directory is on a
 * small tmpfs of its own and the disk faults of {@link NodeDisks} apply (a full disk, fsync
 * EIO); a failed run keeps a copy of them.
 *
 * <p>Thread-safe: the nemesis and the clients use it from their own threads.
 */
final class ProcessCluster implements AutoCloseable {
    /**
     * The servers' syncLimit in ticks of 50 ms: one second of silence before a peer is given
     * up. Half a second let a stall of a busy 2-core CI machine pass for a failure, which the
     * tests that count elections (S13, S27) would report as a spurious one.
     */
    static final int SYNC_LIMIT_TICKS = 20;
    static final Duration SYNC_LIMIT = Duration.ofMillis(50L * SYNC_LIMIT_TICKS);
    private static final Pattern ROLE = Pattern.compile("\"role\":\"(\\w+)\"");
    private static final Pattern DIGEST = Pattern.compile("\"digest\":\"(\\w+)\"");
    private static final Pattern APPLIED = Pattern.compile("\"applied\":\"(0x\\w+)\"");
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private static final Pattern EPOCH = Pattern.compile("\"epoch\":(\\d+)");

    private static final Set<Integer> HANDED_OUT =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    final Path root;
    private final int n;
    private final int[] quorumPorts;
    private final int[] httpPorts;
    private final List<InetAddress> hosts;
    /** Opened at the first cut: a cluster that never partitions needs neither root nor iptables. */
    private Firewall firewall;
    private final Map<Integer, Map<String, String>> environments = new HashMap<>();
    private int syncLimitTicks = SYNC_LIMIT_TICKS;
    private final Map<Integer, Process> running = new TreeMap<>();
    private final Set<Integer> paused = new TreeSet<>();
    /** Nodes whose data directory was wiped: they restart as joining the existing cluster. */
    private final Set<Integer> joinExisting = new TreeSet<>();
    /** Nodes 1 to this many are in --peers; the others start with --join (see joinVia). */
    private int founders;
    /** Node to the member whose HTTP address it gets as --join. */
    private final Map<Integer, Integer> joinVia = new HashMap<>();
    private IntUnaryOperator joinPicker;
    private List<String> jvmOptions = List.of("-Xmx192m");
    private List<String> serverOptions = List.of();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1)).build();
    private final Thread reaper = new Thread(() -> reap(true), "chaos-reaper");
    /** The tmpfs disks, or null: data directories straight under {@link #root}. */
    private final NodeDisks disks;
    private volatile boolean keepDisks = true;

    ProcessCluster(int n, Path root) throws IOException {
        this(n, root, 0);
    }

    /**
     * @param tmpfsMegabytes if positive, each node's data directory is on a tmpfs of this size
     *     (needs root; see {@link NodeDisks}), unmounted by {@link #close} or, if the JVM dies
     *     first, by the shutdown hook
     */
    ProcessCluster(int n, Path root, int tmpfsMegabytes) throws IOException {
        this.n = n;
        this.founders = n;
        this.root = root;
        this.hosts = hosts(n);
        this.quorumPorts = freePorts(hosts);
        this.httpPorts = freePorts(hosts);
        // A test JVM that dies must not leave servers, mounts or firewall rules behind.
        Runtime.getRuntime().addShutdownHook(reaper);
        this.disks = tmpfsMegabytes > 0 ? mountDisks(n, root, tmpfsMegabytes) : null;
    }

    /** The servers' JVM options from their next start on (default {@code -Xmx192m}). */
    synchronized ProcessCluster jvmOptions(String... options) {
        jvmOptions = List.of(options);
        return this;
    }

    /** Options every server gets from its next start on, after the usual ones. */
    synchronized ProcessCluster serverOptions(String... options) {
        serverOptions = List.of(options);
        return this;
    }

    /**
     * Only nodes 1 to {@code count} found the cluster (are in --peers); the others are new
     * servers, each started with {@code --join} once given a member by {@link #joinVia}.
     */
    synchronized ProcessCluster founders(int count) {
        founders = count;
        return this;
    }

    /**
     * Node {@code id} starts (and restarts) with {@code --join} naming member {@code via}'s
     * HTTP address and {@code --listen} its own quorum address. A founder too, once it was
     * removed and its data directory wiped: it comes back as a new server, and its --peers
     * would name members the cluster no longer has.
     */
    synchronized ProcessCluster joinVia(int id, int via) {
        if (id == via) {
            throw new IllegalArgumentException("node " + id + " cannot join through itself");
        }
        joinVia.put(id, via);
        return this;
    }

    /**
     * From now on the member a node given {@link #joinVia} joins through is asked of
     * {@code via} at each start (0: keep the one given), so a restart the cluster does by
     * itself ({@link #restartExited}, {@link #healAll}) names a member that is up now.
     */
    synchronized ProcessCluster joinVia(IntUnaryOperator via) {
        joinPicker = via;
        return this;
    }

    /** Node {@code id}'s HTTP address, host:port. */
    String httpAddress(int id) {
        return host(id) + ":" + httpPorts[id - 1];
    }

    /** Node {@code id}'s quorum address, host:port, as the members' /members lists it. */
    String quorumAddress(int id) {
        return host(id) + ":" + quorumPorts[id - 1];
    }

    /** The servers' --sync-limit from their next start on (default {@link #SYNC_LIMIT_TICKS}). */
    synchronized ProcessCluster syncLimitTicks(int ticks) {
        syncLimitTicks = ticks;
        return this;
    }

    int size() {
        return n;
    }

    static Path jar() {
        Path jar = Path.of("target", "zab-examples.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run mvn package");
        }
        return jar.toAbsolutePath();
    }

    /** Node i's address: 127.0.0.(10 + i), one per node so a firewall rule can single it out. */
    private static List<InetAddress> hosts(int count) throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            out.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (10 + i)}));
        }
        return out;
    }

    String host(int id) {
        return hosts.get(id - 1).getHostAddress();
    }

    /**
     * One free port on each address, below the kernel's ephemeral range: a port the kernel may
     * hand out as the source port of an outgoing connection can be taken between this check
     * and the server's bind (a PartitionIT run lost a node that way, "cannot listen"). Starts
     * at a random port so clusters of concurrent test JVMs rarely probe the same ones, and
     * never hands out a port twice in one JVM (the quorum and HTTP ports of a node share its
     * address; a few dozen clusters a run).
     */
    private static int[] freePorts(List<InetAddress> on) throws IOException {
        int[] range = ephemeralRange();
        int low = 10_000;
        int high = range[0] - 1;
        if (high - low < 1_000) { // an odd range: use the ports above it instead
            low = range[1] + 1;
            high = 65_535;
        }
        if (high - low < 1_000) { // every port is ephemeral: probing is all that is left
            low = 10_000;
            high = 65_535;
        }
        int span = high - low + 1;
        int next = low + java.util.concurrent.ThreadLocalRandom.current().nextInt(span);
        int[] ports = new int[on.size()];
        for (int i = 0; i < on.size(); i++) {
            for (int tries = 0; ; tries++) {
                if (tries == span) {
                    throw new IOException("no free port in " + low + "-" + high + " on "
                            + on.get(i));
                }
                int port = next;
                next = next == high ? low : next + 1;
                if (!HANDED_OUT.contains(port) && isFree(on.get(i), port)) {
                    HANDED_OUT.add(port);
                    ports[i] = port;
                    break;
                }
            }
        }
        return ports;
    }

    private static boolean isFree(InetAddress host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress(host, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The kernel's ephemeral port range, or Linux's default when it cannot be read. */
    private static int[] ephemeralRange() {
        try {
            String[] parts = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32_768, 60_999};
        }
    }

    /** The founders, the same for every one: node j at its own address and quorum port. */
    private String peers() {
        StringBuilder b = new StringBuilder();
        for (int j = 1; j <= founders; j++) {
            b.append(j > 1 ? "," : "").append(j).append('=').append(host(j)).append(':')
                    .append(quorumPorts[j - 1]);
        }
        return b.toString();
    }

    /**
     * Extra environment for node {@code id}'s process from its next start on (e.g. LD_PRELOAD
     * of libfaketime); null clears it.
     */
    synchronized void environment(int id, Map<String, String> env) {
        if (env == null) {
            environments.remove(id);
        } else {
            environments.put(id, Map.copyOf(env));
        }
    }

    private synchronized void applyEnvironment(int id, ProcessBuilder pb) {
        pb.environment().putAll(environments.getOrDefault(id, Map.of()));
    }

    /**
     * Starts a server that is not a member but claims member {@code asId}'s id: the same
     * ensemble except that {@code asId} is at a fresh port on that member's own address (so its
     * connections come from the address the others expect of {@code asId}), with its own data
     * directory, HTTP port and log under {@link #root}, and {@code options} added. The caller
     * owns the process (destroy it).
     */
    synchronized Process startImpostor(int asId, String name, List<String> options)
            throws IOException {
        InetAddress host = hosts.get(asId - 1);
        int[] ports = freePorts(List.of(host, host));
        StringBuilder peers = new StringBuilder();
        for (int j = 1; j <= n; j++) {
            peers.append(j > 1 ? "," : "").append(j).append('=').append(host(j)).append(':')
                    .append(j == asId ? ports[0] : quorumPorts[j - 1]);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar",
                jar().toString(), "server", "--id", String.valueOf(asId), "--peers",
                peers.toString(), "--data-dir", root.resolve(name + "-data").toString(),
                "--http", host(asId) + ":" + ports[1], "--tick-ms", "50",
                "--sync-limit", String.valueOf(syncLimitTicks), "--init-limit", "40"));
        command.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(name + ".log")
                .toFile()));
        return pb.start();
    }

    /** Node {@code id}'s epoch from its /status, or null. */
    Long epoch(int id) {
        String e = field(EPOCH, status(id));
        return e == null ? null : Long.valueOf(e);
    }

    synchronized void start(int id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException("node " + id + " is running");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        List<String> members = joinVia.containsKey(id)
                ? List.of("--join", httpAddress(via(id)), "--listen", quorumAddress(id))
                : List.of("--peers", peers());
        if (id > founders && members.get(0).equals("--peers")) {
            throw new IllegalStateException("node " + id + " is no founder: joinVia first");
        }
        command.addAll(List.of("-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", jar().toString(), "server",
                "--id", String.valueOf(id)));
        command.addAll(members);
        command.addAll(List.of("--data-dir", dataDir(id).toString(),
                "--http", host(id) + ":" + httpPorts[id - 1], "--tick-ms", "50",
                "--sync-limit", String.valueOf(syncLimitTicks), "--init-limit", "40",
                "--timeout-ms", "3000"));
        ProcessBuilder pb = new ProcessBuilder(command);
        // A joiner the cluster lists starts as an existing member by itself (ClusterJoin).
        if (joinExisting.contains(id) && !joinVia.containsKey(id)) {
            pb.command().addAll(List.of("--initial-cluster-state", "existing"));
        }
        pb.command().addAll(serverOptions);
        pb.redirectErrorStream(true);
        applyEnvironment(id, pb);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(
                root.resolve("node" + id + ".log").toFile()));
        running.put(id, pb.start());
    }

    private int via(int id) {
        int picked = joinPicker == null ? 0 : joinPicker.applyAsInt(id);
        if (picked != 0 && picked != id) {
            joinVia.put(id, picked);
        }
        return joinVia.get(id);
    }

    /**
     * Stops node {@code id} as an operator decommissions a server: SIGTERM, then SIGKILL if it
     * has not exited within 10 s.
     */
    synchronized void stop(int id) throws IOException, InterruptedException {
        if (paused.contains(id)) {
            resume(id); // SIGTERM waits until a stopped process runs again
        }
        Process p = running.remove(id);
        if (p == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("node " + id + " survived SIGTERM and SIGKILL");
            }
        }
    }

    synchronized void kill9(int id) throws InterruptedException {
        Process p = running.remove(id);
        if (p == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        paused.remove(id);
        p.destroyForcibly();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + id + " survived kill -9");
        }
    }

    /** SIGSTOP: the process freezes with its sockets open (a long GC pause, a VM stall). */
    synchronized void pause(int id) throws IOException, InterruptedException {
        signal(id, "-STOP");
        paused.add(id);
    }

    synchronized void resume(int id) throws IOException, InterruptedException {
        signal(id, "-CONT");
        paused.remove(id);
    }

    private void signal(int id, String sig) throws IOException, InterruptedException {
        Process p = running.get(id);
        if (p == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        Process kill = new ProcessBuilder("kill", sig, String.valueOf(p.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill " + sig + " " + p.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes()));
        }
    }

    synchronized boolean isRunning(int id) {
        return running.containsKey(id);
    }

    synchronized boolean isPaused(int id) {
        return paused.contains(id);
    }

    /** Running and not frozen: it can answer. */
    synchronized boolean isServing(int id) {
        return running.containsKey(id) && !paused.contains(id);
    }

    /** Cuts the link between a and b, both directions: their packets are dropped silently. */
    void cut(int a, int b) {
        firewall().cut(a, b);
    }

    private synchronized Firewall firewall() {
        if (firewall == null) {
            firewall = Firewall.open(hosts, quorumPorts);
        }
        return firewall;
    }

    void isolate(int a) {
        for (int b = 1; b <= n; b++) {
            if (b != a) {
                cut(a, b);
            }
        }
    }

    /** Brings the link between a and b up again (see {@link #cut}). */
    void restore(int a, int b) {
        firewall().restore(a, b);
    }

    synchronized void healNetwork() {
        if (firewall != null) {
            firewall.heal();
        }
    }

    /** The links cut now, e.g. [1-2, 1-3], for logs. */
    synchronized String cutLinks() {
        return firewall == null ? "[]" : firewall.cutLinks().toString();
    }

    /** Resumes frozen nodes, starts dead ones and heals every link. */
    synchronized void healAll() throws IOException, InterruptedException {
        List<Integer> all = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            all.add(id);
        }
        healAll(all);
    }

    /**
     * As {@link #healAll()}, but starts only the dead ones of {@code ids}: the members, when
     * the others are spares or removed servers that must stay down.
     */
    synchronized void healAll(Collection<Integer> ids) throws IOException, InterruptedException {
        for (int id : new ArrayList<>(paused)) {
            resume(id);
        }
        healNetwork();
        healDisks();
        restartExited();
        for (int id : ids) {
            if (!running.containsKey(id)) {
                start(id);
            }
        }
    }

    /**
     * Like a supervisor: starts again every server that exited by itself (one started on a
     * full disk refuses to start, naming its data directory). Returns their ids.
     */
    synchronized List<Integer> restartExited() throws IOException {
        List<Integer> exited = new ArrayList<>();
        for (Map.Entry<Integer, Process> e : running.entrySet()) {
            if (!e.getValue().isAlive()) {
                exited.add(e.getKey());
            }
        }
        for (int id : exited) {
            running.remove(id);
            paused.remove(id);
            start(id);
        }
        return exited;
    }

    HttpResponse<String> call(int id, String method, String path, String body,
            Duration timeout) throws IOException, InterruptedException {
        URI uri = URI.create("http://" + host(id) + ":" + httpPorts[id - 1] + path);
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return http.send(HttpRequest.newBuilder(uri).timeout(timeout).method(method, p).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * As {@link #call}, without waiting: for a fault injected while the request is in flight.
     * The future fails with the IOException a connection lost mid-request gives.
     */
    CompletableFuture<HttpResponse<String>> callAsync(int id, String method, String path,
            String body, Duration timeout) {
        URI uri = URI.create("http://" + host(id) + ":" + httpPorts[id - 1] + path);
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return http.sendAsync(HttpRequest.newBuilder(uri).timeout(timeout).method(method, p)
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The node's /status, or null if it does not answer within a second. */
    String status(int id) {
        if (!isServing(id)) {
            return null;
        }
        try {
            HttpResponse<String> r = call(id, "GET", "/status", null, Duration.ofSeconds(1));
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static String field(Pattern p, String status) {
        if (status == null) {
            return null;
        }
        Matcher m = p.matcher(status);
        return m.find() ? m.group(1) : null;
    }

    String digest(int id) {
        return field(DIGEST, status(id));
    }

    String applied(int id) {
        return field(APPLIED, status(id));
    }

    /**
     * S26: node {@code id}'s data directory is lost (a replaced disk). The node must be down;
     * from now on it starts with {@code --initial-cluster-state existing}, as an operator
     * restarts a node whose disk was lost, so it abstains from elections until synced.
     */
    synchronized void wipe(int id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException("node " + id + " is running; kill it before wiping");
        }
        Trees.deleteBelow(dataDir(id));
        joinExisting.add(id);
    }

    /** True when the node answers and says it abstains (blank, joining, not yet synced). */
    boolean abstaining(int id) {
        String s = status(id);
        return s != null && s.contains("\"abstaining\":true");
    }

    /** A node that says it leads and is in broadcast, or null. */
    Integer leader() {
        for (int id = 1; id <= n; id++) {
            if (leads(id)) {
                return id;
            }
        }
        return null;
    }

    /** Whether node {@code id} says it leads and is in broadcast. */
    boolean leads(int id) {
        String s = status(id);
        return "LEADING".equals(field(ROLE, s)) && String.valueOf(id).equals(field(LEADER, s));
    }

    /** The last lines of every node's log, for a failure message. */
    String tailLogs(int lines) {
        StringBuilder b = new StringBuilder();
        for (int id = 1; id <= n; id++) {
            Path log = root.resolve("node" + id + ".log");
            if (!Files.exists(log)) {
                continue; // a spare never started
            }
            try {
                List<String> all = Files.readAllLines(log);
                b.append("== ").append(log).append('\n');
                all.subList(Math.max(0, all.size() - lines), all.size())
                        .forEach(l -> b.append(l).append('\n'));
            } catch (IOException e) {
                b.append("== ").append(log).append(": ").append(e).append('\n');
            }
        }
        return b.toString();
    }

    // ---- data directories and disk faults (see NodeDisks) ----

    private NodeDisks mountDisks(int n, Path root, int megabytes) throws IOException {
        try {
            return new NodeDisks(root, n, megabytes);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mounting the tmpfs disks", e);
        }
    }

    /** Node {@code id}'s data directory (on its tmpfs, if the cluster has disks). */
    Path dataDir(int id) {
        return disks != null ? disks.dataDir(id) : root.resolve("node" + id);
    }

    /** Node {@code id}'s output, appended across restarts. */
    Path logFile(int id) {
        return root.resolve("node" + id + ".log");
    }

    boolean hasDisks() {
        return disks != null;
    }

    synchronized long pid(int id) {
        Process p = running.get(id);
        if (p == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        return p.pid();
    }

    /** Waits for node {@code id} to exit by itself: its exit code, or null if it did not. */
    Integer awaitExit(int id, Duration limit) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = running.get(id);
        }
        if (p == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            return null;
        }
        synchronized (this) {
            running.remove(id, p);
            paused.remove(id);
        }
        return p.exitValue();
    }

    /** Fills node {@code id}'s disk until ENOSPC (see {@link NodeDisks#fill}). */
    long fillDisk(int id) throws IOException, InterruptedException {
        return fillDisk(id, 0);
    }

    /** As {@link #fillDisk(int)}, leaving about {@code spare} bytes to the log's appends. */
    long fillDisk(int id, long spare) throws IOException, InterruptedException {
        // A frozen or dead process needs no freezing for the punch; thawing it would be wrong.
        long pid;
        synchronized (this) {
            pid = isServing(id) ? running.get(id).pid() : 0;
        }
        return disks().fill(id, pid, spare);
    }

    void freeDisk(int id) throws IOException {
        disks().free(id);
    }

    /** fsync/fdatasync of node {@code id} fail with EIO until {@link #healFsync}. */
    void injectFsyncEio(int id, String when) throws IOException, InterruptedException {
        disks().injectFsyncEio(id, pid(id), when);
    }

    void healFsync(int id) throws InterruptedException {
        disks().healFsync(id);
    }

    /** Whether {@link #close} keeps a copy of the tmpfs data directories (default: yes). */
    void keepDisksOnClose(boolean keep) {
        keepDisks = keep;
    }

    private NodeDisks disks() {
        if (disks == null) {
            throw new IllegalStateException("this cluster has no tmpfs disks");
        }
        return disks;
    }

    private void healDisks() throws IOException, InterruptedException {
        if (disks != null) {
            for (int id = 1; id <= n; id++) {
                disks.healFsync(id);
                disks.free(id);
            }
        }
    }

    private void detachStraces() {
        if (disks != null) {
            for (int id = 1; id <= n; id++) {
                try {
                    disks.healFsync(id);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private void releaseDisks(boolean keep) {
        if (disks != null) {
            disks.release(keep);
            if (keep) {
                System.out.println("disks: data directories copied to " + root + "/node*");
            }
        }
    }

    /**
     * Servers, straces, mounts (copied first when {@code keep}) and firewall rules. Also the
     * shutdown hook: nothing may outlive the test JVM, and a dying run keeps its data.
     */
    private void reap(boolean keep) {
        detachStraces();
        destroyAll();
        releaseDisks(keep);
        Firewall f;
        synchronized (this) {
            f = firewall;
        }
        if (f != null) {
            f.close();
        }
    }

    private void destroyAll() {
        Map<Integer, Process> procs;
        List<Integer> frozen;
        synchronized (this) {
            procs = new TreeMap<>(running);
            frozen = new ArrayList<>(paused);
            running.clear();
            paused.clear();
        }
        for (int id : frozen) {
            try {
                // SIGTERM waits until a stopped process runs again.
                new ProcessBuilder("kill", "-CONT", String.valueOf(procs.get(id).pid()))
                        .start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                // SIGKILL below works on a stopped process too.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Process p : procs.values()) {
            p.destroy();
        }
        for (Process p : procs.values()) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        reap(keepDisks);
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and runs the reaper itself.
        }
    }
}
