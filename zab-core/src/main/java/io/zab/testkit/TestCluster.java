package io.zab.testkit;

import io.zab.Membership;
import io.zab.NodeStatus;
import io.zab.PeerId;
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
import java.util.Collection;
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
import java.util.concurrent.atomic.AtomicReference;
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
 * <p><b>Membership changes.</b> {@link Builder#spares} adds nodes that start as new servers,
 * not members, for a {@link ZabNode#changeMembership} to add ({@link #membershipOf} builds
 * its target). Who the members are is always the newest committed membership that the running
 * nodes report ({@link #membership()}), not the builder's list: {@link #members()},
 * {@link #voters()}, {@link #running()} and {@link #leader()} answer for its members, and
 * {@link #awaitLeader} and {@link #awaitConverged} wait for them alone, so a spare not added
 * yet and a member removed (still running or not) are left out. Every node, member or not,
 * can still be killed, restarted, wiped, partitioned and read by its id ({@link #ids()}). A
 * restarted node starts from the membership saved in its data directory, whatever its
 * config lists, as a production node does.
 *
 * <p><b>Threads.</b> The kit starts no thread of its own: the nodes run theirs, and the state
 * machines are called on each node's delivery thread, as in production (and, while a member's
 * node is built, on the thread that starts it: a restore or a first snapshot). Members are started,
 * stopped and partitioned by whichever thread calls those methods (one at a time; they
 * synchronize on the cluster). The queries ({@link #node}, {@link #running}, {@link #leader},
 * {@link #describe}, ...) may be called from any thread, load generators included. The waits
 * poll on the calling thread, bounded by the timeout they are given, and never hold the
 * cluster's lock. The kit wraps every state machine so that a node's calls into it and the
 * kit's reads of it ({@link #inspect}, {@link #awaitConverged}) never overlap.
 *
 * <p>Timing: ticks of 50 ms, with 60 ticks (3 s) for each step of a new leader's discovery and
 * synchronization ({@code initLimitTicks}) and 40 ticks (2 s) of silence before a leader and a
 * follower give each other up ({@code syncLimitTicks}), so that a stall of a loaded build
 * machine does not look like a crash. Change them with {@link Builder#configure}.
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
    /** Every node the kit made, members, spares and removed members alike, by id. */
    private final Map<Integer, Member<S>> nodes;
    /**
     * The newest committed membership any node reported, starting from the builder's
     * ensemble; only ever replaced by a newer one (see {@link Census}).
     */
    private final AtomicReference<Membership> newest;
    private boolean closed;

    /**
     * @param nodeFactory null in loopback mode
     * @param ports one per node; in loopback mode placeholders that nothing binds
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
        int founders = b.voters + b.observers;
        Map<Integer, Member<S>> all = new TreeMap<>();
        for (int id = 1; id <= founders + b.spares; id++) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ports[id - 1]);
            boolean spare = id > founders;
            all.put(id, new Member<>(id, spare || id <= b.voters, spare, address,
                    root.resolve("node" + id)));
        }
        this.nodes = Collections.unmodifiableMap(all);
        Map<PeerId, String> voters = new TreeMap<>();
        Map<PeerId, String> observers = new TreeMap<>();
        for (Member<S> m : all.values()) {
            if (!m.spare) {
                (m.voter ? voters : observers).put(PeerId.of(m.id), format(m.address));
            }
        }
        this.newest = new AtomicReference<>(new Membership(Zxid.ZERO, voters, observers));
    }

    /**
     * Starts {@code voters} voters of fresh state machines from {@code stateMachines}, over
     * Netty when zab-transport is on the class path and over the loopback network otherwise,
     * in a temporary directory that {@link #close()} deletes. Returns once every node is
     * started, without waiting for a leader. Same as
     * {@code builder(stateMachines).voters(voters).start()}.
     *
     * @param <S> the host's state machine
     * @param voters how many voters, ids 1 to {@code voters}: an odd count, 1 to 15
     * @param stateMachines called for a fresh state machine at every start of every member;
     *     must not return null
     * @return the started cluster; close it
     * @throws IllegalArgumentException when {@code voters} is out of range or even
     * @throws IllegalStateException when zab-transport is on the class path without
     *     zab-election, or a node cannot start (in Netty mode, its port was taken meanwhile)
     * @throws IOException when the temporary directory cannot be made, no free port can be
     *     bound, or a member's node cannot be built or its start fails with a checked
     *     exception; the members started by then are closed again and the directory deleted
     */
    public static <S extends StateMachine> TestCluster<S> start(int voters,
            Supplier<? extends S> stateMachines) throws IOException {
        return TestCluster.<S>builder(stateMachines).voters(voters).start();
    }

    /**
     * Options beyond {@link #start(int, Supplier)}: observers, network, data root, config.
     *
     * @param <S> the host's state machine
     * @param stateMachines called for a fresh state machine at every start of every member;
     *     must not return null
     * @return a builder with the defaults: 3 voters, no observers
     * @throws NullPointerException when {@code stateMachines} is null
     */
    public static <S extends StateMachine> Builder<S> builder(Supplier<? extends S> stateMachines) {
        return new Builder<>(stateMachines);
    }

    /**
     * The network the members use, chosen when the cluster was built; any thread.
     *
     * @return {@link Network#NETTY} or {@link Network#LOOPBACK}
     */
    public Network network() {
        return network;
    }

    /**
     * The members' ids, voters first, then observers, each ascending; any thread. The members
     * are those of {@link #membership()}: at first the builder's voters and observers; a
     * committed change adds spares and drops the members it removes. Ids it names that the kit
     * runs no node for (a host's own, through {@link Builder#configure}) are left out.
     *
     * @return the members' ids, running or not
     */
    public List<Integer> members() {
        Membership now = census().membership(); // one read: voters and observers agree
        List<Integer> out = new ArrayList<>(kitIds(now.voters().keySet()));
        out.addAll(kitIds(now.observers().keySet()));
        return out;
    }

    /**
     * The ids of the voters of {@link #membership()}; any thread.
     *
     * @return the voters' ids the kit runs nodes for, ascending, running or not; at first 1 to
     *     the builder's voter count
     */
    public List<Integer> voters() {
        return kitIds(census().membership().voters().keySet());
    }

    /**
     * The ids of the observers of {@link #membership()}; any thread.
     *
     * @return the observers' ids the kit runs nodes for, ascending, running or not; at first
     *     those after the voters', empty without observers
     */
    public List<Integer> observers() {
        return kitIds(census().membership().observers().keySet());
    }

    /**
     * The spares' ids, the last {@link Builder#spares} ids, whether or not a change has made
     * them members since; any thread.
     *
     * @return the spares' ids, ascending; empty without spares
     */
    public List<Integer> spares() {
        return nodes.values().stream().filter(m -> m.spare).map(m -> m.id).toList();
    }

    /**
     * Every node's id: members, spares and members since removed; any thread. Each one can be
     * killed, restarted, wiped, partitioned and read.
     *
     * @return the ids 1 to voters plus observers plus spares, ascending
     */
    public List<Integer> ids() {
        return List.copyOf(nodes.keySet());
    }

    /**
     * The newest committed membership that the running nodes report
     * ({@link ZabNode#membership()}); while none runs, the newest one reported before. At first
     * the builder's voters and observers (version {@link Zxid#ZERO}). It decides who the
     * {@link #members()} are, whom {@link #awaitLeader} and {@link #awaitConverged} wait for,
     * and who {@link #running()} and {@link #leader()} consider. Any thread.
     *
     * @return the membership, with the addresses the members were configured with
     */
    public Membership membership() {
        return census().membership();
    }

    /**
     * A membership of the kit's nodes, for {@link ZabNode#changeMembership}: each with the
     * address every config gives it (a placeholder in loopback mode, which ignores addresses).
     * Any thread.
     *
     * @param voters the ids to be voters
     * @param observers the ids to be observers
     * @return the membership, at version {@link Zxid#ZERO} (a change ignores it)
     * @throws IllegalArgumentException when an id is no node's, is in both, or there is no
     *     voter
     */
    public Membership membershipOf(Collection<Integer> voters, Collection<Integer> observers) {
        Map<PeerId, String> v = new TreeMap<>();
        voters.forEach(id -> v.put(PeerId.of(id), format(member(id).address)));
        Map<PeerId, String> o = new TreeMap<>();
        observers.forEach(id -> o.put(PeerId.of(id), format(member(id).address)));
        return new Membership(Zxid.ZERO, v, o);
    }

    /**
     * The ids of the {@link #members()} running now, in order; any thread. A node counts as
     * running from its start until it is killed, whatever its role or failure; see
     * {@link #isRunning} for a spare or a removed member.
     *
     * @return the running members' ids, ascending
     */
    public List<Integer> running() {
        return List.copyOf(census().running());
    }

    /**
     * Whether node {@code id} runs, member or not; any thread.
     *
     * @param id the node's id
     * @return true from its start until it is killed
     * @throws IllegalArgumentException when there is no node {@code id}
     */
    public boolean isRunning(int id) {
        return member(id).node != null;
    }

    /**
     * Member {@code id}'s node; any thread.
     *
     * @param id the member's id
     * @return its running node
     * @throws IllegalArgumentException when there is no member {@code id}
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
     * otherwise through {@link #inspect}. Any thread.
     *
     * @param id the member's id
     * @return the host's state machine itself, not the kit's wrapper
     * @throws IllegalArgumentException when there is no member {@code id}
     */
    public S stateMachine(int id) {
        return member(id).machine.machine();
    }

    /**
     * Runs {@code reader} on member {@code id}'s state machine on this thread, while its node
     * is not calling it (between two deliveries), and returns what it returns. Keep it short:
     * that node's delivery waits meanwhile. Works on a killed member too (its latest machine).
     * Any thread.
     *
     * @param <R> what the reader returns
     * @param id the member's id
     * @param reader reads the state machine; it must not keep it for later, nor wait for the
     *     node (whose delivery waits for the reader)
     * @return what {@code reader} returned
     * @throws IllegalArgumentException when there is no member {@code id}
     */
    public <R> R inspect(int id, Function<? super S, ? extends R> reader) {
        return member(id).machine.read(reader);
    }

    /**
     * Member {@code id}'s data directory (it outlives kills and restarts; a wipe empties it);
     * any thread.
     *
     * @param id the member's id
     * @return {@code node<id>} under the data root
     * @throws IllegalArgumentException when there is no member {@code id}
     */
    public Path dataDir(int id) {
        return member(id).dataDir;
    }

    /**
     * Where member {@code id} listens, as every member's config says; Netty mode only. Any
     * thread.
     *
     * @param id the member's id
     * @return the loopback address and the port the kit picked for the member
     * @throws IllegalArgumentException when there is no member {@code id}
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
     * The id of a running member (of {@link #membership()}) that leads in broadcast, right
     * now; the one of the highest epoch if an old leader cut off from the rest has not yet
     * noticed. Any thread. Does not wait; see {@link #awaitLeader} for a leader that a quorum
     * follows.
     *
     * @return the leader's id, or empty while no running member leads in broadcast
     */
    public Optional<Integer> leader() {
        return census().newestLeader();
    }

    /**
     * Waits until exactly one running member leads in broadcast, a majority of the voters
     * follow it in broadcast (itself included), and so does every other running member not cut
     * off from it by a {@link #partition}; returns its id. Members and voters are those of
     * {@link #membership()}, as it is at each poll: a spare not added yet and a removed member
     * are not waited for. A leader that lost its quorum but
     * has not noticed yet is not taken, nor is a member on the other side of a partition waited
     * for; members that are down are not waited for either. Polls on the calling thread about
     * every 10 ms, without the cluster's lock.
     *
     * @param timeout how long to wait at most, 0 to 1 hour
     * @return the settled leader's id
     * @throws IllegalArgumentException when {@code timeout} is negative or over 1 hour
     * @throws InterruptedException when the calling thread is interrupted while it waits
     * @throws TimeoutException when {@code timeout} passes first; its message describes every
     *     member
     */
    public int awaitLeader(Duration timeout) throws InterruptedException, TimeoutException {
        int[] found = new int[1];
        Poll.until("a leader followed by a majority of the voters and every running member"
                + " that can reach it", timeout, () -> {
                    Optional<Integer> l = census().settledLeader(this::reachable);
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
     * byte by {@link StateMachine#snapshot}); returns that zxid. The members are those of
     * {@link #membership()}: a spare not added yet and a removed member need not keep up (a
     * change that commits meanwhile makes the wait look again). Call it once the test's
     * writes are answered: while writes go on it waits for a moment when none is in flight.
     * Members that are down are left out: restart them first to have them checked. A running
     * member cut off by a {@link #partition} is checked, so a write it missed (or one it logged
     * that the leader did not commit) keeps the wait from succeeding while the partition lasts.
     * Polls on the calling thread about every 10 ms, without the cluster's lock; to compare
     * two state machines it takes their locks, holding up their nodes' delivery meanwhile.
     *
     * @param timeout how long to wait at most, 0 to 1 hour
     * @return the leader's last committed zxid, which every running member logged and delivered
     * @throws IllegalArgumentException when {@code timeout} is negative or over 1 hour
     * @throws InterruptedException when the calling thread is interrupted while it waits
     * @throws AssertionError when the time ran out and the last poll found every running member
     *     at the leader's last committed zxid but two state machines unequal: replicas that
     *     diverged; its message names them and describes every member
     * @throws TimeoutException when the time ran out otherwise; its message describes every
     *     member
     * @throws UncheckedIOException when a state machine fails to write the snapshot compared
     *     (without a {@link Builder#sameState} check)
     */
    public Zxid awaitConverged(Duration timeout) throws InterruptedException, TimeoutException {
        Convergence<S> check = new Convergence<>(nodes.values(), newest, sameState);
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
     * The condition is tried at once, then about every 10 ms, without the cluster's lock.
     *
     * @param what what is waited for, for the failure's message
     * @param timeout how long to wait at most, 0 to 1 hour
     * @param condition tried on the calling thread until it returns true; what it throws, this
     *     throws
     * @throws IllegalArgumentException when {@code timeout} is negative or over 1 hour
     * @throws InterruptedException when the calling thread is interrupted while it waits
     * @throws TimeoutException when {@code timeout} passes before {@code condition} held
     */
    public void await(String what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException, TimeoutException {
        Poll.until(what, timeout, condition, this::describe);
    }

    /**
     * Stops member {@code id}'s node with {@link ZabNode#close()}, as a process that is shut
     * down (not one that crashes mid-write): what it wrote stays in its data directory, its
     * pending calls fail, and the others see its links drop. Its state machine stays readable
     * ({@link #stateMachine}, {@link #inspect}). The node is closed on this thread, which
     * takes the cluster's lock.
     *
     * @param id the member's id
     * @throws IllegalArgumentException when there is no member {@code id}
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
     * Starts node {@code id} again from its data directory with a fresh state machine,
     * killing it first if it runs; returns its new node, started, without waiting for it to
     * join a leader. Its config is the one it started with (a spare's still says JOIN), but a
     * node that saved a membership starts from that one: a spare added meanwhile restarts a
     * member, and a founding member restarts in the membership it last knew. A node once wiped
     * starts as it did after the wipe. Takes the
     * cluster's lock; the node is built (its state machine restored from its newest snapshot,
     * if any) and started on this thread. If that fails the member stays down.
     *
     * @param id the member's id
     * @return the member's new node, started
     * @throws IllegalArgumentException when there is no member {@code id}
     * @throws IllegalStateException when the cluster is closed, or from a node that cannot
     *     start (in Netty mode, Netty's transport when the member's port was taken meanwhile)
     * @throws IOException when the node cannot be built (its data directory cannot be opened
     *     or recovered), or its start fails with a checked exception
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
     * Gives node {@code id} a new, empty disk: kills it if it runs, deletes its data directory
     * and starts it again as joining an existing cluster
     * ({@link ZabConfig.InitialClusterState#EXISTING}), as an operator restarts a member that
     * lost its disk. It then takes no part in elections until a leader has synced it. Its
     * config lists the members of {@link #membership()} as it is now (the blank disk has no
     * saved membership to start from), and does so at its later restarts too. A spare that is
     * no member yet starts as a spare again ({@link ZabConfig.InitialClusterState#JOIN}); a
     * removed member keeps the builder's ensemble, as before. Returns its new node, started.
     * Works in both network modes. Takes the cluster's lock; the node is built and started on
     * this thread. If that fails the node stays down.
     *
     * @param id the node's id
     * @return the node's new node, started
     * @throws IllegalArgumentException when there is no node {@code id}, or the config made
     *     from the membership is invalid (an even number of voters the host did not allow)
     * @throws IllegalStateException when the cluster is closed, or from a node that cannot
     *     start (see {@link #restart})
     * @throws IOException when the data directory cannot be deleted, or the node cannot be
     *     built, or its start fails with a checked exception
     */
    public synchronized ZabNode wipe(int id) throws IOException {
        checkOpen();
        Member<S> m = member(id);
        Membership now = census().membership();
        if (m.node != null) {
            kill(id);
        }
        boolean member = now.contains(PeerId.of(id));
        m.wiped = true;
        m.wipedAs = member || !m.spare ? ZabConfig.InitialClusterState.EXISTING
                : ZabConfig.InitialClusterState.JOIN;
        m.listed = member ? now : null;
        deleteTree(m.dataDir);
        return startMember(m);
    }

    /**
     * Cuts the loopback network into {@code groups}: members of different groups cannot reach
     * each other (both ends see the link drop, as with a broken TCP connection), members of one
     * group can; members named in no group form one more group. Replaces any earlier partition
     * and lasts across restarts until {@link #heal()}. For example {@code partition(Set.of(1))}
     * isolates member 1 from the others. Loopback mode only. Takes the cluster's lock.
     *
     * @param groups the groups, each a set of member ids; empty sets are ignored
     * @throws IllegalStateException when the cluster is closed
     * @throws UnsupportedOperationException in Netty mode: cutting real sockets needs a
     *     firewall and root; use {@link Network#LOOPBACK}
     * @throws IllegalArgumentException when a group holds an id that is no member's, or one
     *     member is in two groups
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
        Set<Integer> rest = new TreeSet<>(nodes.keySet());
        rest.removeAll(named);
        if (!rest.isEmpty()) {
            all.add(rest);
        }
        links.partition(all);
    }

    /**
     * Reconnects every member to every other, ending any {@link #partition}. Nothing to do in
     * Netty mode. Takes the cluster's lock.
     */
    public synchronized void heal() {
        if (links != null) {
            links.heal(nodes.keySet());
        }
    }

    /**
     * Fails when a running member's node stopped on a fault (a state machine that threw, a
     * broken invariant, a storage error it cannot get over) or is recovering from a storage
     * error right now ({@link ZabNode#failure()}). Members that are down are not checked. Any
     * thread; it does not wait.
     *
     * @throws AssertionError naming the first such member (by id) and its fault, with the
     *     fault as its cause and every member described
     */
    public void assertNoFailures() {
        for (Member<S> m : nodes.values()) {
            ZabNode n = m.node;
            Optional<Throwable> f = n == null ? Optional.empty() : n.failure();
            if (f.isPresent()) {
                throw new AssertionError("member " + m.id + " failed: " + f.get() + "; "
                        + describe(), f.get());
            }
        }
    }

    /**
     * The cluster's state, one line per node, for failure messages; any thread.
     *
     * @return the network (and in loopback mode the election and any partition), the data
     *     root, the {@link #membership()}, then per node its place in that membership (voter,
     *     observer, a spare not added, or no member), its role, epoch, leader, logged,
     *     committed and delivered zxids and the version of the membership it knows, or that it
     *     is down
     */
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
        Membership now = census().membership();
        b.append(", data under ").append(root).append(", ").append(now);
        for (Member<S> m : nodes.values()) {
            PeerId p = PeerId.of(m.id);
            b.append("\n  ").append(m.id).append(now.isVoter(p) ? " voter"
                    : now.isObserver(p) ? " observer" : m.spare ? " spare" : " no member");
            if (m.wiped) {
                b.append(" (wiped, joined as ").append(m.wipedAs).append(")");
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
                    .append(" delivered ").append(s.lastDeliveredZxid())
                    .append(", membership ").append(s.membership().version());
            s.membershipChange().ifPresent(c -> b.append(", changing to ").append(c));
            n.failure().ifPresent(f -> b.append(", FAILED: ").append(f));
        }
        return b.toString();
    }

    /**
     * Kills every running member and, unless the data root was given to the builder, deletes
     * the data directories. Idempotent. Takes the cluster's lock; later restarts, wipes and
     * partitions fail with IllegalStateException.
     *
     * @throws RuntimeException what a node's close threw, or an UncheckedIOException when the
     *     data directories cannot be deleted; every member is closed and the deletion tried
     *     regardless, later failures added as suppressed
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Member<S> m : nodes.values()) {
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
        Member<S> m = nodes.get(id);
        if (m == null) {
            throw new IllegalArgumentException("no member " + id + "; the nodes are "
                    + nodes.keySet());
        }
        return m;
    }

    private Census census() {
        return new Census(nodes.values(), newest);
    }

    /** Of {@code ids}, those the kit runs a node for, ascending. */
    private List<Integer> kitIds(Set<PeerId> ids) {
        return ids.stream().map(PeerId::value).filter(nodes::containsKey).sorted().toList();
    }

    /**
     * An address as the nodes write it in a membership ({@code host:port}, an IPv6 host in
     * brackets), so that one the kit gives a change reads as the one each config gives.
     */
    private static String format(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
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
     * Node m's config: the kit's timing, the members it lists, then the host's changes, then
     * what the kit must decide itself (id, data directory, and how it starts). It lists the
     * builder's voters and observers, and a spare itself too (JOIN needs its own address and
     * role); or, once wiped as a member, the membership of that moment. A node that saved a
     * membership starts from that one whatever its config lists.
     */
    private ZabConfig config(Member<S> m) {
        ZabConfig.Builder b = ZabConfig.builder().tickIntervalMs(TICK_MS)
                .initLimitTicks(INIT_LIMIT_TICKS).syncLimitTicks(SYNC_LIMIT_TICKS);
        Membership listed = m.listed;
        for (Member<S> other : nodes.values()) {
            PeerId p = PeerId.of(other.id);
            boolean voter = listed != null ? listed.isVoter(p) : other.voter;
            boolean listedHere = listed != null ? listed.contains(p)
                    : !other.spare || other == m;
            if (listedHere && voter) {
                b.voter(other.id, other.address);
            } else if (listedHere) {
                b.observer(other.id, other.address);
            }
        }
        configure.accept(b);
        b.peerId(m.id).dataDir(m.dataDir);
        if (m.wiped) {
            b.initialClusterState(m.wipedAs);
        } else if (m.spare) {
            b.initialClusterState(ZabConfig.InitialClusterState.JOIN);
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
        private int spares;
        private Network network;
        private Path dataRoot;
        private Consumer<ZabConfig.Builder> configure = b -> { };
        private BiPredicate<? super S, ? super S> sameState;
        private NodeFactory nodeFactory;

        private Builder(Supplier<? extends S> stateMachines) {
            this.stateMachines = Objects.requireNonNull(stateMachines, "stateMachines");
        }

        /**
         * How many voters, ids 1 to n; default 3. An odd count, unless configured otherwise
         * ({@code configure(b -> b.allowEvenVoters(true))}). Checked by {@link #start()}.
         *
         * @param n the voter count, at least 1; voters and observers at most 16 in all
         * @return this builder
         */
        public Builder<S> voters(int n) {
            this.voters = n;
            return this;
        }

        /**
         * How many observers, the ids after the voters; default 0. Checked by {@link #start()}.
         *
         * @param n the observer count, at least 0; voters and observers at most 16 in all
         * @return this builder
         */
        public Builder<S> observers(int n) {
            this.observers = n;
            return this;
        }

        /**
         * How many spares, the ids after the voters and observers; default 0. A spare is a
         * new server, not a member: it starts with the others to join
         * ({@link ZabConfig.InitialClusterState#JOIN}), its config listing the voters and
         * observers and itself as a voter, and it neither votes nor follows until a
         * {@link ZabNode#changeMembership} on the members adds it (build the target with
         * {@link TestCluster#membershipOf}). The members' configs do not list spares. Checked
         * by {@link #start()}.
         *
         * @param n the spare count, at least 0; voters, observers and spares at most 16 in all
         * @return this builder
         */
        public Builder<S> spares(int n) {
            this.spares = n;
            return this;
        }

        /**
         * The members' network; default {@link Network#NETTY} when zab-transport is on the
         * class path, {@link Network#LOOPBACK} otherwise.
         *
         * @param n the network; {@link Network#NETTY} needs zab-transport and zab-election on
         *     the class path, unless a {@link #nodeFactory} is given
         * @return this builder
         * @throws NullPointerException when {@code n} is null
         */
        public Builder<S> network(Network n) {
            this.network = Objects.requireNonNull(n, "network");
            return this;
        }

        /**
         * Where the members' data directories go ({@code node1}, {@code node2}, ...); kept on
         * close. Default: a new temporary directory, deleted on close.
         *
         * @param dir the data root; made if missing, and kept on close
         * @return this builder
         * @throws NullPointerException when {@code dir} is null
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
         *
         * @param change a change to the config builder, called on the thread that starts,
         *     restarts or wipes the member, once per start; an invalid result fails that start
         *     with IllegalArgumentException
         * @return this builder
         * @throws NullPointerException when {@code change} is null
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
         *
         * @param check true when the two state machines hold the same state; what it throws,
         *     {@link TestCluster#awaitConverged} throws
         * @return this builder
         * @throws NullPointerException when {@code check} is null
         */
        public Builder<S> sameState(BiPredicate<? super S, ? super S> check) {
            this.sameState = Objects.requireNonNull(check, "check");
            return this;
        }

        /**
         * How nodes are built in Netty mode; see {@link NodeFactory}. Not for loopback mode:
         * {@link #start()} then fails. With a factory, Netty mode does not require zab-transport
         * or zab-election on the class path; the factory wires the node.
         *
         * @param factory builds each member's node at each of its starts
         * @return this builder
         * @throws NullPointerException when {@code factory} is null
         */
        public Builder<S> nodeFactory(NodeFactory factory) {
            this.nodeFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Makes the nodes' directories and starts every node, spares too (without waiting for
         * a leader), on this thread. If one fails to start, those started are closed again (and
         * a temporary data root deleted). Each call builds a new cluster, with new ports and,
         * without a {@link #dataRoot}, a new temporary directory.
         *
         * @return the started cluster; close it
         * @throws IllegalArgumentException when fewer than 1 voter, fewer than 0 observers or
         *     spares, or more than 16 nodes are asked for, or a node's config is invalid (an even
         *     number of voters without {@code allowEvenVoters(true)}, a data directory that
         *     cannot be made, a bad {@link #configure} change)
         * @throws IllegalStateException when Netty mode without a node factory lacks
         *     zab-transport or zab-election on the class path, when a node factory is given for
         *     loopback mode, or when a node cannot start (in Netty mode, its port was taken)
         * @throws IOException when the temporary data root cannot be made, no free port can be
         *     bound, or a member's node cannot be built or its start fails with a checked
         *     exception
         */
        public TestCluster<S> start() throws IOException {
            if (voters < 1 || observers < 0 || spares < 0
                    || voters + observers + spares > MAX_MEMBERS) {
                throw new IllegalArgumentException("voters: at least 1, observers and spares:"
                        + " at least 0, at most " + MAX_MEMBERS + " nodes; was " + voters + ", "
                        + observers + " and " + spares);
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
            int count = voters + observers + spares;
            int[] ports = n == Network.NETTY ? FreePorts.pick(count) : placeholderPorts(count);
            boolean own = dataRoot == null;
            Path root = own ? Files.createTempDirectory("zab-testkit-") : dataRoot;
            TestCluster<S> c = new TestCluster<>(this, n, factory, ports, root, own);
            try {
                for (int id : c.ids()) {
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

        /**
         * Loopback ports, one per node and distinct: nothing binds them, but an address given
         * in a membership change must name a real port (1 to 65535) to be taken.
         */
        private static int[] placeholderPorts(int count) {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ports[i] = i + 1;
            }
            return ports;
        }
    }
}
