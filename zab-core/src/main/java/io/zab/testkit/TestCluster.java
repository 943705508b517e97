package io.zab.testkit;

import io.zab.NodeStatus;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.runtime.NodeWiring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A whole ensemble of a host's state machine in this JVM, for the host's own tests: voters
 * (ids 1 to n) and observers (the ids after them), each with its own data directory, which
 * the test can kill, restart, wipe and, over the loopback network, partition; then wait until
 * they agree again.
 *
 * <pre>{@code
 * try (TestCluster<Kv> c = TestCluster.start(3, Kv::new)) {
 *     int leader = c.awaitLeader(Duration.ofSeconds(30));
 *     c.node(leader).submit(ByteBuffer.wrap(put), Duration.ofSeconds(5)).get();
 *     c.kill(leader);
 *     c.awaitLeader(Duration.ofSeconds(30));
 *     c.restart(leader);
 *     c.awaitConverged(Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>{@link #start} returns once every member's node is started; it does not wait for a
 * leader (the timed {@code submit} waits for one, or call {@link #awaitLeader}). Each member
 * gets a fresh state machine from the supplier every time it starts; a restarted member
 * restores it from its own data directory and catches up from the leader.
 *
 * <p><b>Threads.</b> The kit starts no thread of its own: the nodes run theirs, and the state
 * machines are called on each node's delivery thread, as in production. Members are started,
 * stopped and partitioned by whichever thread calls those methods (one at a time; they
 * synchronize on the cluster). The queries ({@link #node}, {@link #running}, {@link #leader},
 * {@link #describe}, ...) may be called from any thread, load generators included. The waits
 * poll on the calling thread, bounded by the timeout they are given, and never hold the
 * cluster's lock. The kit wraps every state machine so that a node's calls into it and the
 * kit's reads of it ({@link #inspect}, {@link #awaitConverged}) never overlap.
 *
 * <p>Timing: ticks of 50 ms, with 60 ticks to form a quorum and 40 of silence before a peer is
 * given up (3 s and 2 s), so that a stall of a loaded build machine does not look like a crash.
 * Change them with {@link Builder#configure}.
 *
 * @param <S> the host's state machine
 */
public final class TestCluster<S extends StateMachine> implements AutoCloseable {
    /** How the members reach each other. */
    public enum Network {
        /**
         * The in-memory transport: no sockets, and links can be cut
         * ({@link TestCluster#partition}). The election is Fast Leader Election when zab-election
         * is on the class path, else zab-core's simple QuorumMaxElection.
         */
        LOOPBACK,
        /**
         * The default transport (zab-transport, Netty) on 127.0.0.1 with free ports, and the
         * default election (zab-election): the wiring a host's production nodes get.
         */
        NETTY
    }

    static final int TICK_MS = 50;
    static final int INIT_LIMIT_TICKS = 60;
    static final int SYNC_LIMIT_TICKS = 40;
    static final int MAX_MEMBERS = 16;

    private final Network network;
    private final Path root;
    private final boolean ownRoot;
    private final Supplier<? extends S> stateMachines;
    private final Consumer<ZabConfig.Builder> configure;
    private final BiPredicate<? super S, ? super S> sameState;
    private final NodeFactory nodeFactory;
    private final LoopbackLinks links;
    private final Map<Integer, Member<S>> members;
    private boolean closed;

    /**
     * @param nodeFactory null in loopback mode
     * @param ports one per member; all 0 in loopback mode, where nothing listens
     */
    private TestCluster(Builder<S> b, Network network, NodeFactory nodeFactory, int[] ports,
            Path root, boolean ownRoot) {
        this.network = network;
        this.root = root;
        this.ownRoot = ownRoot;
        this.stateMachines = b.stateMachines;
        this.configure = b.configure;
        this.sameState = b.sameState;
        this.nodeFactory = nodeFactory;
        this.links = network == Network.LOOPBACK ? new LoopbackLinks() : null;
        int count = b.voters + b.observers;
        Map<Integer, Member<S>> all = new TreeMap<>();
        for (int id = 1; id <= count; id++) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ports[id - 1]);
            all.put(id, new Member<>(id, id <= b.voters, address, root.resolve("node" + id)));
        }
        this.members = Collections.unmodifiableMap(all);
    }

    /**
     * Starts {@code voters} voters of fresh state machines from {@code stateMachines}, over
     * Netty when zab-transport is on the class path and over the loopback network otherwise,
     * in a temporary directory that {@link #close()} deletes.
     */
    public static <S extends StateMachine> TestCluster<S> start(int voters,
            Supplier<? extends S> stateMachines) throws IOException {
        return TestCluster.<S>builder(stateMachines).voters(voters).start();
    }

    /** Options beyond {@link #start(int, Supplier)}: observers, network, data root, config. */
    public static <S extends StateMachine> Builder<S> builder(Supplier<? extends S> stateMachines) {
        return new Builder<>(stateMachines);
    }

    public Network network() {
        return network;
    }

    /** Every member's id, voters first; any thread. */
    public List<Integer> members() {
        return List.copyOf(members.keySet());
    }

    public List<Integer> voters() {
        return members.values().stream().filter(m -> m.voter).map(m -> m.id).toList();
    }

    public List<Integer> observers() {
        return members.values().stream().filter(m -> !m.voter).map(m -> m.id).toList();
    }

    /** The ids of the members running now, in order; any thread. */
    public List<Integer> running() {
        return members.values().stream().filter(m -> m.node != null).map(m -> m.id).toList();
    }

    /**
     * Member {@code id}'s node; any thread.
     *
     * @throws IllegalStateException when the member is down (killed, or being restarted)
     */
    public ZabNode node(int id) {
        ZabNode n = member(id).node;
        if (n == null) {
            throw new IllegalStateException("member " + id + " is not running");
        }
        return n;
    }

    /**
     * The state machine of member {@code id}'s latest start (kept after a kill). The node's
     * delivery thread writes it: read it here only if it is safe to read from another thread,
     * otherwise through {@link #inspect}.
     */
    public S stateMachine(int id) {
        return member(id).machine.machine();
    }

    /**
     * Runs {@code reader} on member {@code id}'s state machine on this thread, while its node
     * is not calling it (between two deliveries), and returns what it returns. Keep it short:
     * that node's delivery waits meanwhile.
     */
    public <R> R inspect(int id, Function<? super S, ? extends R> reader) {
        return member(id).machine.read(reader);
    }

    /** Member {@code id}'s data directory (it outlives kills and restarts). */
    public Path dataDir(int id) {
        return member(id).dataDir;
    }

    /**
     * Where member {@code id} listens, as every member's config says.
     *
     * @throws IllegalStateException in loopback mode, where nothing listens
     */
    public InetSocketAddress address(int id) {
        Member<S> m = member(id);
        if (network != Network.NETTY) {
            throw new IllegalStateException("in loopback mode member " + id + " has no address");
        }
        return m.address;
    }

    /**
     * The id of a running member that leads in broadcast, right now; the one of the highest
     * epoch if an old leader cut off from the rest has not yet noticed. Any thread.
     */
    public Optional<Integer> leader() {
        return new Census(members.values()).newestLeader();
    }

    /**
     * Waits until exactly one running member leads in broadcast, a majority of the voters
     * follow it in broadcast (itself included), and so does every other running member not cut
     * off from it by a {@link #partition}; returns its id. A leader that lost its quorum but
     * has not noticed yet is not taken, nor is a member on the other side of a partition waited
     * for.
     */
    public int awaitLeader(Duration timeout) throws InterruptedException, TimeoutException {
        int[] found = new int[1];
        Poll.until("a leader followed by a majority of the voters and every running member"
                + " that can reach it", timeout, () -> {
                    Optional<Integer> l = new Census(members.values())
                            .settledLeader(this::reachable);
                    l.ifPresent(id -> found[0] = id);
                    return l.isPresent();
                }, this::describe);
        return found[0];
    }

    private boolean reachable(int a, int b) {
        return links == null || links.connected(a, b);
    }

    /**
     * Waits until the cluster has converged: one leader in broadcast, every running member has
     * logged and delivered exactly the leader's last committed zxid, and all their state
     * machines are equal (by the builder's {@link Builder#sameState} check, or else byte for
     * byte by {@link StateMachine#snapshot}); returns that zxid. Call it once the test's
     * writes are answered: while writes go on it waits for a moment when none is in flight.
     * Members down or cut off by a partition make it time out.
     *
     * @throws AssertionError when the time ran out while every member was at the same zxid
     *     with unequal state machines: replicas that diverged
     * @throws TimeoutException when it ran out otherwise, with the cluster's state
     */
    public Zxid awaitConverged(Duration timeout) throws InterruptedException, TimeoutException {
        Convergence<S> check = new Convergence<>(members.values(), sameState);
        try {
            Poll.until("convergence (one leader; every running member logged and delivered"
                    + " the leader's last committed zxid; equal state machines)", timeout,
                    check::reached, this::describe);
        } catch (TimeoutException e) {
            if (check.divergence() != null) {
                throw new AssertionError("replicas diverged: " + check.divergence() + "; "
                        + describe(), e);
            }
            throw e;
        }
        return check.at();
    }

    /**
     * Waits until {@code condition} holds, polling it on this thread; when {@code timeout}
     * passes first, fails with a TimeoutException naming {@code what} and the cluster's state.
     */
    public void await(String what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException, TimeoutException {
        Poll.until(what, timeout, condition, this::describe);
    }

    /**
     * Stops member {@code id}'s node with {@link ZabNode#close()}, as a process that is shut
     * down (not one that crashes mid-write): what it wrote stays in its data directory, its
     * pending calls fail, and the others see its links drop.
     *
     * @throws IllegalStateException when it is not running
     */
    public synchronized void kill(int id) {
        Member<S> m = member(id);
        ZabNode n = m.node;
        if (n == null) {
            throw new IllegalStateException("member " + id + " is not running");
        }
        m.node = null;
        n.close();
    }

    /**
     * Starts member {@code id} again from its data directory with a fresh state machine,
     * killing it first if it runs; returns its new node.
     */
    public synchronized ZabNode restart(int id) throws IOException {
        checkOpen();
        Member<S> m = member(id);
        if (m.node != null) {
            kill(id);
        }
        return startMember(m);
    }

    /**
     * Gives member {@code id} a new, empty disk: kills it if it runs, deletes its data
     * directory and starts it again as joining an existing cluster
     * ({@link ZabConfig.InitialClusterState#EXISTING}), as an operator restarts a member that
     * lost its disk. It then takes no part in elections until a leader has synced it. Returns
     * its new node.
     */
    public synchronized ZabNode wipe(int id) throws IOException {
        checkOpen();
        Member<S> m = member(id);
        if (m.node != null) {
            kill(id);
        }
        m.wiped = true;
        deleteTree(m.dataDir);
        return startMember(m);
    }

    /**
     * Cuts the loopback network into {@code groups}: members of different groups cannot reach
     * each other (both ends see the link drop, as with a broken TCP connection), members of one
     * group can; members named in no group form one more group. Replaces any earlier partition
     * and lasts across restarts until {@link #heal()}. For example {@code partition(Set.of(1))}
     * isolates member 1 from the others.
     *
     * @throws UnsupportedOperationException in Netty mode: cutting real sockets needs a
     *     firewall and root; use {@link Network#LOOPBACK}
     */
    @SafeVarargs
    public final synchronized void partition(Set<Integer>... groups) {
        checkOpen();
        if (links == null) {
            throw new UnsupportedOperationException("partitions need the loopback network:"
                    + " build the cluster with network(TestCluster.Network.LOOPBACK)");
        }
        List<Set<Integer>> all = new ArrayList<>();
        Set<Integer> named = new HashSet<>();
        for (Set<Integer> g : groups) {
            for (int id : g) {
                member(id);
                if (!named.add(id)) {
                    throw new IllegalArgumentException("member " + id + " is in two groups");
                }
            }
            if (!g.isEmpty()) {
                all.add(Set.copyOf(g));
            }
        }
        Set<Integer> rest = new TreeSet<>(members.keySet());
        rest.removeAll(named);
        if (!rest.isEmpty()) {
            all.add(rest);
        }
        links.partition(all);
    }

    /** Reconnects every member to every other. Nothing to do in Netty mode. */
    public synchronized void heal() {
        if (links != null) {
            links.heal(members.keySet());
        }
    }

    /**
     * Fails when a running member's node stopped on a fault (a state machine that threw, a
     * broken invariant, a storage error it cannot get over) or is recovering from a storage
     * error right now ({@link ZabNode#failure()}).
     */
    public void assertNoFailures() {
        for (Member<S> m : members.values()) {
            ZabNode n = m.node;
            Optional<Throwable> f = n == null ? Optional.empty() : n.failure();
            if (f.isPresent()) {
                throw new AssertionError("member " + m.id + " failed: " + f.get() + "; "
                        + describe(), f.get());
            }
        }
    }

    /** The cluster's state, one line per member, for failure messages; any thread. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(network).append(" cluster");
        if (links != null) {
            b.append(" (").append(links.electionName()).append(")");
            List<Set<Integer>> groups = links.groups();
            if (!groups.isEmpty()) {
                b.append(", partitioned ").append(LoopbackLinks.format(groups));
            }
        }
        b.append(", data under ").append(root);
        for (Member<S> m : members.values()) {
            b.append("\n  ").append(m.id).append(m.voter ? " voter" : " observer");
            if (m.wiped) {
                b.append(" (wiped, joined as EXISTING)");
            }
            ZabNode n = m.node;
            if (n == null) {
                b.append(": down");
                continue;
            }
            NodeStatus s = n.status();
            b.append(": ").append(s.role()).append(" epoch ").append(s.epoch())
                    .append(" leader ").append(s.leader().map(Object::toString).orElse("-"))
                    .append(s.broadcasting() ? ", broadcasting" : "")
                    .append(s.abstaining() ? ", abstaining" : "")
                    .append(", logged ").append(s.lastLoggedZxid())
                    .append(" committed ").append(s.lastCommittedZxid())
                    .append(" delivered ").append(s.lastDeliveredZxid());
            n.failure().ifPresent(f -> b.append(", FAILED: ").append(f));
        }
        return b.toString();
    }

    /**
     * Kills every running member and, unless the data root was given to the builder, deletes
     * the data directories. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Member<S> m : members.values()) {
            try {
                if (m.node != null) {
                    kill(m.id);
                }
            } catch (RuntimeException e) {
                first = first == null ? e : addSuppressed(first, e);
            }
        }
        if (ownRoot) {
            try {
                deleteTree(root);
            } catch (IOException e) {
                UncheckedIOException u = new UncheckedIOException("cannot delete " + root, e);
                first = first == null ? u : addSuppressed(first, u);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static RuntimeException addSuppressed(RuntimeException to, RuntimeException e) {
        to.addSuppressed(e);
        return to;
    }

    private Member<S> member(int id) {
        Member<S> m = members.get(id);
        if (m == null) {
            throw new IllegalArgumentException("no member " + id + "; the members are "
                    + members.keySet());
        }
        return m;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the cluster is closed");
        }
    }

    private ZabNode startMember(Member<S> m) throws IOException {
        S host = Objects.requireNonNull(stateMachines.get(), "the state machine supplier"
                + " returned null");
        GuardedMachine<S> machine = new GuardedMachine<>(host);
        ZabConfig config = config(m);
        ZabNode node = links != null ? links.build(config, machine)
                : nodeFactory.build(config, machine);
        m.machine = machine;
        try {
            node.start();
        } catch (Exception e) {
            node.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException("member " + m.id + " did not start: " + e, e);
        }
        m.node = node;
        return node;
    }

    /**
     * Member m's config: the kit's timing, every member, then the host's changes, then what
     * the kit must decide itself (id, data directory, and EXISTING once wiped).
     */
    private ZabConfig config(Member<S> m) {
        ZabConfig.Builder b = ZabConfig.builder().tickIntervalMs(TICK_MS)
                .initLimitTicks(INIT_LIMIT_TICKS).syncLimitTicks(SYNC_LIMIT_TICKS);
        for (Member<S> other : members.values()) {
            if (other.voter) {
                b.voter(other.id, other.address);
            } else {
                b.observer(other.id, other.address);
            }
        }
        configure.accept(b);
        b.peerId(m.id).dataDir(m.dataDir);
        if (m.wiped) {
            b.initialClusterState(ZabConfig.InitialClusterState.EXISTING);
        }
        return b.build();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList(); // children first
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }

    /**
     * The options of a {@link TestCluster}; {@link #start()} makes it. Not thread-safe.
     *
     * @param <S> the host's state machine
     */
    public static final class Builder<S extends StateMachine> {
        private final Supplier<? extends S> stateMachines;
        private int voters = 3;
        private int observers;
        private Network network;
        private Path dataRoot;
        private Consumer<ZabConfig.Builder> configure = b -> { };
        private BiPredicate<? super S, ? super S> sameState;
        private NodeFactory nodeFactory;

        private Builder(Supplier<? extends S> stateMachines) {
            this.stateMachines = Objects.requireNonNull(stateMachines, "stateMachines");
        }

        /** How many voters, ids 1 to n; default 3. An odd count, unless configured otherwise. */
        public Builder<S> voters(int n) {
            this.voters = n;
            return this;
        }

        /** How many observers, the ids after the voters; default 0. */
        public Builder<S> observers(int n) {
            this.observers = n;
            return this;
        }

        /**
         * The members' network; default {@link Network#NETTY} when zab-transport is on the
         * class path, {@link Network#LOOPBACK} otherwise.
         */
        public Builder<S> network(Network n) {
            this.network = Objects.requireNonNull(n, "network");
            return this;
        }

        /**
         * Where the members' data directories go ({@code node1}, {@code node2}, ...); kept on
         * close. Default: a new temporary directory, deleted on close.
         */
        public Builder<S> dataRoot(Path dir) {
            this.dataRoot = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * Adds a change to every member's config, made at each start after the kit set its
         * timing and the members, and after the changes given before this one. The kit then
         * sets the member's id, its data directory and, once it was wiped, EXISTING; every
         * other key is the host's to change (more members too, say one no node runs).
         */
        public Builder<S> configure(Consumer<ZabConfig.Builder> change) {
            this.configure = configure.andThen(Objects.requireNonNull(change, "change"));
            return this;
        }

        /**
         * How {@link TestCluster#awaitConverged} decides that two members' state machines are
         * equal, for a machine whose snapshot bytes are not canonical (a hash map written in
         * iteration order). Called on the waiting thread while neither node calls its machine.
         * Default: equal {@link StateMachine#snapshot} bytes.
         */
        public Builder<S> sameState(BiPredicate<? super S, ? super S> check) {
            this.sameState = Objects.requireNonNull(check, "check");
            return this;
        }

        /** How nodes are built in Netty mode; see {@link NodeFactory}. Not for loopback mode. */
        public Builder<S> nodeFactory(NodeFactory factory) {
            this.nodeFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Makes the members' directories and starts every member (without waiting for a
         * leader). If one fails to start, those started are closed again.
         *
         * @throws IllegalStateException when Netty mode lacks zab-transport or zab-election
         *     on the class path, or a node factory is given for loopback mode
         */
        public TestCluster<S> start() throws IOException {
            if (voters < 1 || observers < 0 || voters + observers > MAX_MEMBERS) {
                throw new IllegalArgumentException("voters: at least 1, observers: at least 0,"
                        + " at most " + MAX_MEMBERS + " members; was " + voters + " and "
                        + observers);
            }
            Network n = network != null ? network
                    : NodeWiring.hasDefaultTransport() ? Network.NETTY : Network.LOOPBACK;
            if (n == Network.LOOPBACK && nodeFactory != null) {
                throw new IllegalStateException("a node factory is for Netty mode: in loopback"
                        + " mode the kit wires each node to its in-memory network itself");
            }
            NodeFactory factory = nodeFactory;
            if (n == Network.NETTY && factory == null) {
                if (!NodeWiring.hasDefaultTransport()) {
                    throw new IllegalStateException("Netty mode needs io.zab:zab-transport on"
                            + " the class path; or use network(TestCluster.Network.LOOPBACK)");
                }
                if (!NodeWiring.hasDefaultElection()) {
                    throw new IllegalStateException("Netty mode needs io.zab:zab-election on"
                            + " the class path; or use network(TestCluster.Network.LOOPBACK)");
                }
                factory = (config, machine) -> ZabNode.builder().config(config)
                        .stateMachine(machine).build();
            }
            int count = voters + observers;
            int[] ports = n == Network.NETTY ? FreePorts.pick(count) : new int[count];
            boolean own = dataRoot == null;
            Path root = own ? Files.createTempDirectory("zab-testkit-") : dataRoot;
            TestCluster<S> c = new TestCluster<>(this, n, factory, ports, root, own);
            try {
                for (int id : c.members()) {
                    c.startMember(c.member(id));
                }
            } catch (IOException | RuntimeException | Error e) {
                try {
                    c.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
            return c;
        }
    }
}
