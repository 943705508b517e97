package io.zab.it;

import io.zab.Role;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.election.fle.FastLeaderElection;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.transport.netty.NettyTransport;
import io.zab.transport.netty.NettyTransportConfig;
import io.zab.runtime.NodeWiring;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Real zab nodes in this JVM: {@link ZabNode} with file storage under its own data directory,
 * {@link NettyTransport} on 127.0.0.1 and {@link FastLeaderElection}, wired as a host would
 * (see ZabTarget in the bench). Each member keeps its address and data directory across
 * restarts, so {@link #stop} then {@link #start} is a restart from disk.
 *
 * <p>Used by one test thread; {@link #running()} may be read by load threads too.
 * {@link #close()} closes every node still running, whatever happened before.
 */
final class Cluster implements AutoCloseable {
    static final String CLUSTER_ID = "zab-it";
    /** Generous for a loaded 2-core machine: a slow fsync or GC must not look like a crash. */
    static final int TICK_MS = 50;
    static final int INIT_LIMIT_TICKS = 60;
    static final int SYNC_LIMIT_TICKS = 40;
    static final Duration DEADLINE = Duration.ofSeconds(180);

    private final Path root;
    private final List<Integer> voters;
    private final List<Integer> observers;
    private final Map<Integer, InetSocketAddress> absent;
    private final UnaryOperator<ZabConfig.Builder> tuning;
    private final Map<Integer, InetSocketAddress> addresses = new TreeMap<>();
    private final Map<Integer, ZabNode> nodes = new ConcurrentSkipListMap<>();
    /** Members whose data directory was wiped: they restart as EXISTING. */
    private final Set<Integer> wiped = new ConcurrentSkipListSet<>();
    private final Map<Integer, HistoryMachine> machines = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextTarget = new AtomicInteger();
    private FileStorage.Options fileOptions;
    private final Map<Integer, FileIo> fileIos = new ConcurrentSkipListMap<>();

    /**
     * @param absent members every node is configured with but that never run (an observer id
     *     the frame fuzzer speaks as), with their addresses
     * @param tuning applied to every node's config builder (history and snapshot limits)
     */
    Cluster(Path root, List<Integer> voters, List<Integer> observers,
            Map<Integer, InetSocketAddress> absent, UnaryOperator<ZabConfig.Builder> tuning)
            throws IOException {
        this.root = root;
        this.voters = List.copyOf(voters);
        this.observers = List.copyOf(observers);
        this.absent = Map.copyOf(absent);
        this.tuning = tuning;
        List<Integer> ids = Stream.concat(voters.stream(), observers.stream()).toList();
        int[] ports = freePorts(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            addresses.put(ids.get(i), new InetSocketAddress("127.0.0.1", ports[i]));
        }
    }

    static Cluster of(Path root, int voters) throws IOException {
        List<Integer> ids = new ArrayList<>();
        for (int id = 1; id <= voters; id++) {
            ids.add(id);
        }
        return new Cluster(root, ids, List.of(), Map.of(), b -> b);
    }

    /**
     * Ports that were free a moment ago, taken below Linux's ephemeral range (32768 and up):
     * a node restarted later binds its port again, and a port the kernel may hand out to any
     * outgoing connection meanwhile (there are thousands in the fuzz test) could be taken.
     */
    static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        SplittableRandom random = new SplittableRandom();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = null;
                for (int attempt = 0; s == null && attempt < 200; attempt++) {
                    try {
                        s = new ServerSocket(20_000 + random.nextInt(12_000), 1,
                                InetAddress.getLoopbackAddress());
                    } catch (IOException taken) {
                        s = null;
                    }
                }
                if (s == null) {
                    s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                }
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    /** Lays out the nodes' data directories with {@code options} instead of the defaults. */
    Cluster fileStorage(FileStorage.Options options) {
        this.fileOptions = options;
        return this;
    }

    /** Member {@code id}'s stores go through {@code io} (a slow or failing disk). */
    Cluster fileIo(int id, FileIo io) {
        fileIos.put(id, io);
        return this;
    }

    ZabConfig config(int id) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).dataDir(dataDir(id))
                .tickIntervalMs(TICK_MS).initLimitTicks(INIT_LIMIT_TICKS)
                .syncLimitTicks(SYNC_LIMIT_TICKS);
        if (wiped.contains(id)) {
            b.initialClusterState(ZabConfig.InitialClusterState.EXISTING);
        }
        for (int v : voters) {
            b.voter(v, addresses.get(v));
        }
        for (int o : observers) {
            b.observer(o, addresses.get(o));
        }
        absent.forEach(b::observer);
        return tuning.apply(b).build();
    }

    Path dataDir(int id) {
        return root.resolve("node" + id);
    }

    InetSocketAddress address(int id) {
        return addresses.get(id);
    }

    /** Starts member {@code id} from its data directory with a fresh state machine. */
    ZabNode start(int id) throws Exception {
        if (nodes.containsKey(id)) {
            throw new IllegalStateException("node " + id + " is running");
        }
        ZabConfig config = config(id);
        NettyTransport transport = new NettyTransport(NettyTransportConfig.builder()
                .clusterId(CLUSTER_ID).peers(config.members())
                // A restarted peer is back within a second or two; do not wait 5 s to redial.
                .reconnectBackoffMs(50, 500).build());
        HistoryMachine sm = new HistoryMachine();
        NodeWiring b = new NodeWiring().config(config).stateMachine(sm)
                .transport(transport).election(new FastLeaderElection());
        FileIo io = fileIos.getOrDefault(id, FileIo.REAL);
        if (fileOptions != null || io != FileIo.REAL) {
            b.fileStorage(fileOptions != null ? fileOptions : FileStorage.Options.defaults(), io);
        }
        ZabNode node = b.build();
        sm.markStarted();
        machines.put(id, sm);
        nodes.put(id, node);
        node.start();
        return node;
    }

    void startAll() throws Exception {
        for (int id : addresses.keySet()) {
            start(id);
        }
    }

    /** Closes member {@code id} (its data directory stays). */
    void stop(int id) {
        ZabNode n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    /**
     * Deletes member {@code id}'s data directory: a new, empty disk. The node must be down; it
     * restarts as joining the existing cluster, as an operator restarts a node with a lost disk.
     */
    void wipe(int id) throws IOException {
        wiped.add(id);
        if (nodes.containsKey(id)) {
            throw new IllegalStateException("node " + id + " is running");
        }
        try (Stream<Path> files = Files.walk(dataDir(id))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    ZabNode node(int id) {
        ZabNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        return n;
    }

    HistoryMachine machine(int id) {
        return machines.get(id);
    }

    List<Integer> voters() {
        return voters;
    }

    /** Ids of the running nodes; any thread. */
    List<Integer> running() {
        return List.copyOf(nodes.keySet());
    }

    /** A running node, round robin; any thread. Null when none runs. */
    ZabNode anyRunning() {
        List<ZabNode> up = List.copyOf(nodes.values());
        return up.isEmpty() ? null : up.get(Math.floorMod(nextTarget.getAndIncrement(),
                up.size()));
    }

    /** The id of the established leader, if a running node is one. */
    Optional<Integer> leader() {
        for (Map.Entry<Integer, ZabNode> e : nodes.entrySet()) {
            if (e.getValue().role() == Role.LEADING && e.getValue().status().broadcasting()) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** Waits until every running node is in broadcast under one leader; returns its id. */
    int awaitStable() throws InterruptedException {
        await("every running node in broadcast under one leader", () -> {
            Optional<Integer> l = leader();
            return l.isPresent() && nodes.values().stream().allMatch(n ->
                    n.status().broadcasting() && n.leader().equals(Optional.of(
                            io.zab.PeerId.of(l.get()))));
        });
        return leader().orElseThrow();
    }

    /**
     * Waits until every running node delivered the same last zxid and stays there (nothing more
     * is being written), then checks the state machines are equal byte for byte; returns the
     * common record.
     */
    byte[] awaitConverged() throws InterruptedException {
        // Equal delivered and logged positions everywhere: nothing is left in flight.
        await("every running node delivered all it logged, the same everywhere", () -> {
            List<Zxid> lasts = nodes.entrySet().stream().flatMap(e -> Stream.of(
                    machines.get(e.getKey()).last(), e.getValue().status().lastLoggedZxid()))
                    .distinct().toList();
            return lasts.size() == 1;
        });
        byte[] reference = null;
        int referenceId = 0;
        for (int id : running()) {
            byte[] b = machines.get(id).bytes();
            if (reference == null) {
                reference = b;
                referenceId = id;
            } else if (!Arrays.equals(reference, b)) {
                throw new AssertionError("state machines of " + referenceId + " and " + id
                        + " differ: " + reference.length + " vs " + b.length
                        + " bytes, first difference at byte "
                        + Arrays.mismatch(reference, b) + "; " + describe());
            }
        }
        return reference;
    }

    /** Fails the test if a node halted on a fault (storage, broken invariant, bad delivery). */
    void assertNoFailures() {
        for (Map.Entry<Integer, ZabNode> e : nodes.entrySet()) {
            Optional<Throwable> f = e.getValue().failure();
            if (f.isPresent()) {
                throw new AssertionError("node " + e.getKey() + " halted: " + f.get(), f.get());
            }
        }
    }

    /** One line per running node, for failure messages. */
    String describe() {
        StringBuilder b = new StringBuilder();
        nodes.forEach((id, n) -> b.append("\n  ").append(n.status()).append(" delivered ")
                .append(machines.get(id).count()).append(n.failure().map(f -> " FAILED " + f)
                        .orElse("")));
        return b.toString();
    }

    /** Polls {@code condition} until it holds; fails after {@link #DEADLINE}. */
    void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("no " + what + " within " + DEADLINE + ":"
                        + describe());
            }
            assertNoFailures();
            TimeUnit.MILLISECONDS.sleep(10); // polling with a deadline, not a timed assertion
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int id : running()) {
            try {
                stop(id);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
