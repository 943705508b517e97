package io.zab.sim;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.Event;
import io.zab.protocol.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A simulated Zab ensemble: N {@code ZabCore}s on one virtual clock, a {@link SimNetwork}, a
 * {@link SimDisk} and {@link SimStateMachine} per node, clients, and the {@link Checkers} after
 * every step. Everything random comes from one {@link SplittableRandom} seeded by the seed, so a
 * seed replays exactly. Both the random test ({@link RandomRun}) and scripted scenarios use it.
 *
 * <p>Scripting: build it, then alternate {@link #runFor}/{@link #runUntil} with faults
 * ({@link #crash}, {@link #restart}, {@link #partition}, {@link #isolate}, {@link #heal}), client
 * calls ({@link #submit}, {@link #sync}) and hooks ({@link #onAction}, {@link #onEvent}) that
 * act right before an action or event takes effect. A broken invariant surfaces as a
 * {@link SimulationFailure} from the run call. Times given to the API are virtual milliseconds.
 *
 * <p>Not thread-safe: one thread runs one cluster; many clusters may run in parallel.
 */
public final class SimCluster {
    private static final long MAX_STEPS_AT_ONE_TIME = 1_000_000;

    private final long seed;
    private final SplittableRandom random;
    private final SimOptions options;
    private final SimClock clock = new SimClock();
    private final SimTrace trace;
    private final SimNetwork network;
    private final Checkers checkers;
    private final SimStats stats = new SimStats();
    private final SimNode[] nodes;
    private final List<SimNode> nodeList;
    private final List<SimNode> voterList;
    private final List<SimRequest> requests = new ArrayList<>();
    private final byte[] payloadPrefix;
    private final List<Hook<Action>> actionHooks = new ArrayList<>();
    private final List<Hook<Event>> eventHooks = new ArrayList<>();
    private long lastStepTime = -1;
    private long stepsAtLastTime;

    public SimCluster(long seed, SimOptions options) {
        this(seed, new SplittableRandom(seed), options);
    }

    /** With a random source the caller already drew from (the random run's swarm options). */
    SimCluster(long seed, SplittableRandom random, SimOptions options) {
        this.seed = seed;
        this.random = random;
        this.options = options;
        this.trace = new SimTrace(options.traceLines);
        this.checkers = new Checkers(this);
        this.payloadPrefix = ("s" + seed + "-c").getBytes(StandardCharsets.ISO_8859_1);
        int n = options.nodeCount();
        this.network = new SimNetwork(clock, random, n, new Wiring(), trace,
                options.slowMessageProbability);
        Set<PeerId> voters = new TreeSet<>();
        Set<PeerId> observers = new TreeSet<>();
        for (int i = 1; i <= options.voters + options.observers; i++) {
            (i <= options.voters ? voters : observers).add(PeerId.of(i));
        }
        this.nodes = new SimNode[n + 1];
        List<SimNode> all = new ArrayList<>();
        List<SimNode> vs = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            boolean spare = i > options.voters + options.observers;
            // A spare starts outside the membership, as an operator's --join does: it learns
            // the leader from the leader itself once it is being added.
            Set<PeerId> myObservers = observers;
            if (spare && options.sparesObserve) {
                // JOIN as an observer: listed as one, as NodeWiring does for the config.
                myObservers = new TreeSet<>(observers);
                myObservers.add(PeerId.of(i));
            }
            CoreConfig config = new CoreConfig(PeerId.of(i), voters, myObservers,
                    options.initLimitTicks, options.syncLimitTicks, options.maxTxnBytes,
                    options.historyMaxTxns, options.proposalsInflightMax, options.zxidCounterMax,
                    spare, options.historyMaxBytes, options.proposalsInflightMaxBytes,
                    options.learnerWindowBytes);
            nodes[i] = new SimNode(this, i, config);
            all.add(nodes[i]);
            if (i <= options.voters) {
                vs.add(nodes[i]);
            }
        }
        this.nodeList = Collections.unmodifiableList(all);
        this.voterList = Collections.unmodifiableList(vs);
        guard(() -> {
            for (SimNode node : nodeList) {
                node.start();
            }
        });
    }

    /** How the network reaches the nodes. */
    private final class Wiring implements SimNetwork.Endpoint {
        @Override
        public boolean isUp(int node) {
            return nodes[node].isUp();
        }

        @Override
        public int incarnation(int node) {
            return nodes[node].incarnation();
        }

        @Override
        public void receive(int from, int to, Message message) {
            SimNode n = nodes[to];
            if (n.isUp()) {
                n.receive(new Event.Received(PeerId.of(from), message), "recv");
            }
        }

        @Override
        public void disconnected(int at, int peer) {
            nodes[at].receive(new Event.PeerDisconnected(PeerId.of(peer)), "disconnected");
        }
    }

    // ---- accessors ----

    public long seed() {
        return seed;
    }

    public SimOptions options() {
        return options;
    }

    public SimClock clock() {
        return clock;
    }

    /** Virtual microseconds since the start. */
    public long now() {
        return clock.now();
    }

    public SplittableRandom random() {
        return random;
    }

    public SimTrace trace() {
        return trace;
    }

    public SimNetwork network() {
        return network;
    }

    public Checkers checkers() {
        return checkers;
    }

    /** What this run exercised so far (network counters are folded in). */
    public SimStats stats() {
        stats.messages = network.sent();
        stats.messagesLost = network.lost();
        return stats;
    }

    public SimNode node(int id) {
        if (id < 1 || id >= nodes.length) {
            throw new IllegalArgumentException("no node " + id + " (nodes are 1.." + nodeList.size()
                    + ")");
        }
        return nodes[id];
    }

    public List<SimNode> nodes() {
        return nodeList;
    }

    public List<SimNode> voters() {
        return voterList;
    }

    /**
     * Whether {@code n} is a member of the membership the newest leader (or, with none, the
     * highest-versioned live node) has committed: the nodes that must converge.
     */
    public boolean isMember(SimNode n) {
        io.zab.Membership m = null;
        for (SimNode x : nodeList) {
            if (x.isUp() && (m == null || x.core().membership().version().isAfter(m.version()))) {
                m = x.core().membership();
            }
        }
        return m == null || m.contains(n.peerId());
    }

    public List<SimRequest> requests() {
        return Collections.unmodifiableList(requests);
    }

    /** The leader in broadcast, if any (of the highest epoch, should a deposed one linger). */
    public Optional<SimNode> leader() {
        SimNode best = null;
        for (SimNode n : nodeList) {
            if (n.isUp() && n.core().role() == Role.LEADING && n.core().isBroadcasting()
                    && (best == null || n.core().epoch() > best.core().epoch())) {
                best = n;
            }
        }
        return Optional.ofNullable(best);
    }

    // ---- running ----

    /** Runs every event due in the next {@code millis} virtual milliseconds. */
    public void runFor(long millis) {
        long deadline = clock.now() + millis * SimClock.MILLIS;
        guard(() -> {
            while (clock.stepUntil(deadline)) {
                afterStep();
            }
            clock.advanceTo(deadline);
        });
    }

    /**
     * Runs until {@code condition} holds (checked before and after each step) or
     * {@code maxMillis} of virtual time passed; returns whether it held.
     */
    public boolean runUntil(BooleanSupplier condition, long maxMillis) {
        long deadline = clock.now() + maxMillis * SimClock.MILLIS;
        boolean[] held = new boolean[1];
        guard(() -> {
            if (condition.getAsBoolean()) {
                held[0] = true;
                return;
            }
            while (clock.stepUntil(deadline)) {
                afterStep();
                if (condition.getAsBoolean()) {
                    held[0] = true;
                    return;
                }
            }
            clock.advanceTo(deadline);
            held[0] = condition.getAsBoolean();
        });
        return held[0];
    }

    private void afterStep() {
        long t = clock.now();
        if (t != lastStepTime) {
            lastStepTime = t;
            stepsAtLastTime = 0;
        } else if (++stepsAtLastTime > MAX_STEPS_AT_ONE_TIME) {
            throw Checkers.violation("Livelock", MAX_STEPS_AT_ONE_TIME
                    + " steps without virtual time moving");
        }
    }

    /** Runs a piece of the simulation; a broken invariant becomes a SimulationFailure. */
    void guard(Runnable body) {
        try {
            body.run();
        } catch (SimulationFailure f) {
            throw f;
        } catch (AssertionError | RuntimeException e) {
            throw new SimulationFailure(seed, clock.now(), states(), trace.dump(), e);
        }
    }

    /** One line per node, for failure reports. */
    public String states() {
        StringBuilder sb = new StringBuilder("  nodes (" + options + "):\n");
        for (SimNode n : nodeList) {
            sb.append("    ").append(n).append('\n');
        }
        sb.append("    chain: ").append(checkers.chainLength()).append(" txns to ")
                .append(checkers.chainTip()).append("; ").append(checkers.ackedWrites())
                .append(" writes acknowledged\n");
        return sb.toString();
    }

    /** A failure report for a broken invariant found outside a step (liveness, convergence). */
    public SimulationFailure failure(String invariant, String detail) {
        return new SimulationFailure(seed, clock.now(), states(), trace.dump(),
                Checkers.violation(invariant, detail));
    }

    /** Every whole-cluster check (the incremental ones run on every step anyway). */
    public void checkInvariants() {
        guard(checkers::checkAll);
    }

    // ---- node faults ----

    /** Power loss on a node: it loses unsynced writes, its memory and its connections. */
    public void crash(int id) {
        SimNode n = node(id);
        if (!n.isUp()) {
            throw new IllegalStateException("node " + id + " is already down");
        }
        n.crash();
        stats.crashes++;
        network.nodeDown(id);
    }

    /**
     * Freezes a node's process for {@code millis} (a long GC pause, SIGSTOP, a VM migration):
     * its connections stay up, what arrives queues up, its timers fire once when it wakes.
     */
    public void pause(int id, long millis) {
        SimNode n = liveNode(id);
        if (n.isPaused()) {
            throw new IllegalStateException("node " + id + " is already paused");
        }
        stats.pauses++;
        n.pause(clock.now() + millis * SimClock.MILLIS);
    }

    /**
     * Replaces a crashed node's disk with a blank one (its data directory is lost); it starts
     * empty at the next {@link #restart}, as the operator should start it: joining the existing
     * cluster (initialClusterState EXISTING), so it abstains from elections until synced.
     */
    public void wipe(int id) {
        wipe(id, true);
    }

    /**
     * As {@link #wipe(int)}; {@code joinExisting} false models an operator who restarts the
     * wiped node as a founding member (NEW), which the protocol cannot tell from a new node.
     */
    public void wipe(int id, boolean joinExisting) {
        SimNode n = node(id);
        if (n.isUp()) {
            throw new IllegalStateException("node " + id + " is up; crash it before wiping");
        }
        n.disk().wipe();
        n.joinExisting(joinExisting);
        trace.add(clock.now(), id, "WIPE (blank disk, restarts as "
                + (joinExisting ? "EXISTING" : "NEW") + ")", null, null);
    }

    /** Starts a crashed node from its disk. */
    public void restart(int id) {
        SimNode n = node(id);
        if (n.isUp()) {
            throw new IllegalStateException("node " + id + " is up");
        }
        guard(n::start);
    }

    // ---- network faults ----

    /** Nodes in different groups cannot reach each other; each node in exactly one group. */
    @SafeVarargs
    public final void partition(Set<Integer>... groups) {
        stats.partitions++;
        network.partition(Arrays.asList(groups));
    }

    /** Cuts {@code id} off from every other node, both ways. */
    public void isolate(int id) {
        Set<Integer> rest = new TreeSet<>();
        for (SimNode n : nodeList) {
            if (n.id() != id) {
                rest.add(n.id());
            }
        }
        stats.partitions++;
        network.partition(List.of(Set.of(id), rest));
    }

    /** Messages from {@code from} to {@code to} stall (the connection times out later). */
    public void blockOneWay(int from, int to) {
        stats.partitions++;
        network.setBlocked(from, to, true);
        trace.add(clock.now(), from, "network block -> " + to, null, null);
    }

    /** {@code mid} sees every node; nodes of {@code left} and {@code right} do not meet. */
    public void bridge(int mid, Set<Integer> left, Set<Integer> right) {
        stats.partitions++;
        network.bridge(mid, left, right);
    }

    public void breakConnection(int a, int b) {
        if (network.isConnected(a, b)) {
            stats.connectionBreaks++;
        }
        network.breakConnection(a, b);
    }

    /** Every node reaches every other one again (crashed nodes stay down). */
    public void heal() {
        network.heal();
    }

    // ---- clients ----

    /** Submits a write of {@code payload} to a live node; the handle shows its fate. */
    public SimRequest submit(int id, byte[] payload) {
        return submit(id, payload.clone(), false);
    }

    public SimRequest submit(int id, String payload) {
        return submit(id, payload.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Submits a write with a payload unique to this run, so the checkers can follow it. */
    public SimRequest submit(int id) {
        return submitGenerated(id, 0);
    }

    SimRequest submitGenerated(int id, int padding) {
        long rid = requests.size() + 1L;
        StringBuilder sb = new StringBuilder().append('s').append(seed).append("-c").append(rid);
        if (padding > 0) {
            sb.append('-').append("x".repeat(padding));
        }
        return submit(id, sb.toString().getBytes(StandardCharsets.ISO_8859_1), true);
    }

    private SimRequest submit(int id, byte[] payload, boolean generated) {
        SimNode n = liveNode(id);
        SimRequest r = new SimRequest(requests.size() + 1L, id, SimRequest.Kind.WRITE, payload,
                generated, clock.now());
        requests.add(r);
        n.submit(r);
        return r;
    }

    /** Asks a live node for sync(): SYNCED once it delivered every write acknowledged before. */
    public SimRequest sync(int id) {
        SimNode n = liveNode(id);
        SimRequest r = new SimRequest(requests.size() + 1L, id, SimRequest.Kind.SYNC,
                new byte[0], false, clock.now());
        r.ackedBeforeInvoke = checkers.ackedMaxPosition();
        requests.add(r);
        n.sync(r);
        return r;
    }

    /**
     * Asks live node {@code id} to hand its leadership to {@code target} within
     * {@code timeoutTicks}: TRANSFERRED once the node sees the target lead, FAILED otherwise.
     */
    public SimRequest transfer(int id, int target, int timeoutTicks) {
        SimNode n = liveNode(id);
        SimRequest r = new SimRequest(requests.size() + 1L, id, SimRequest.Kind.TRANSFER,
                new byte[0], false, clock.now());
        requests.add(r);
        n.transfer(r, target, timeoutTicks);
        return r;
    }

    /**
     * Asks live node {@code id} to change the membership to {@code target} within
     * {@code timeoutTicks}: SUCCEEDED once the node delivered the change, FAILED otherwise.
     */
    public SimRequest changeMembership(int id, io.zab.Membership target, int timeoutTicks) {
        SimNode n = liveNode(id);
        SimRequest r = new SimRequest(requests.size() + 1L, id, SimRequest.Kind.CHANGE,
                new byte[0], false, clock.now());
        requests.add(r);
        n.changeMembership(r, target, timeoutTicks);
        return r;
    }

    private SimNode liveNode(int id) {
        SimNode n = node(id);
        if (!n.isUp()) {
            throw new IllegalStateException("node " + id + " is down; a client cannot reach it");
        }
        return n;
    }

    /** The request whose generated payload this is, or null for any other payload. */
    SimRequest generatedRequest(byte[] data) {
        int p = payloadPrefix.length;
        if (data.length <= p) {
            return null;
        }
        for (int i = 0; i < p; i++) {
            if (data[i] != payloadPrefix[i]) {
                return null;
            }
        }
        long id = 0;
        int i = p;
        while (i < data.length && data[i] >= '0' && data[i] <= '9' && i - p < 18) {
            id = id * 10 + (data[i] - '0');
            i++;
        }
        if (i == p || id < 1 || id > requests.size()) {
            return null;
        }
        SimRequest r = requests.get((int) (id - 1));
        return r.generated ? r : null;
    }

    // ---- hooks ----

    /**
     * Calls {@code then} with every action of node {@code id} (0: any node) that matches
     * {@code when}, right before it takes effect; see {@link Intercepted}.
     */
    public Hook<Action> onAction(int id, Predicate<? super Action> when,
            Consumer<Intercepted<Action>> then) {
        Hook<Action> h = new Hook<>(id, when, then);
        actionHooks.add(h);
        return h;
    }

    /** As {@link #onAction}, for the events fed to the cores (messages, ticks, Persisted...). */
    public Hook<Event> onEvent(int id, Predicate<? super Event> when,
            Consumer<Intercepted<Event>> then) {
        Hook<Event> h = new Hook<>(id, when, then);
        eventHooks.add(h);
        return h;
    }

    /** Runs the action hooks; true when the action should take effect now. */
    boolean interceptAction(SimNode n, Action a) {
        if (actionHooks.isEmpty()) {
            return true;
        }
        Runnable effect = null;
        if (a instanceof Send s) {
            int inc = n.incarnation();
            effect = () -> guard(() -> {
                if (n.isCurrent(inc)) {
                    network.send(n.id(), s.to().value(), s.message());
                }
            });
        }
        return intercept(actionHooks, n, a, effect);
    }

    boolean interceptEvent(SimNode n, Event e) {
        if (eventHooks.isEmpty()) {
            return true;
        }
        int inc = n.incarnation();
        Runnable effect = () -> guard(() -> {
            if (n.isCurrent(inc)) {
                n.handle(e, "released");
            }
        });
        return intercept(eventHooks, n, e, effect);
    }

    private <T> boolean intercept(List<Hook<T>> hooks, SimNode n, T item, Runnable effect) {
        int inc = n.incarnation();
        for (Hook<T> h : List.copyOf(hooks)) {
            if (!h.matches(n, item)) {
                continue;
            }
            Intercepted<T> x = new Intercepted<>(n, item, effect != null);
            h.fire(x);
            if (!n.isCurrent(inc)) {
                return false;
            }
            if (x.dropped()) {
                trace.add(clock.now(), n.id(), "hook dropped", item, null);
                return false;
            }
            if (x.held() != null) {
                trace.add(clock.now(), n.id(), "hook held", item, null);
                x.held().bind(effect);
                return false;
            }
        }
        return true;
    }

    // ---- convergence ----

    /**
     * Null when the cluster is settled: every node up, one leader in broadcast followed by all,
     * every pipeline empty, every state machine at the tip of the delivered chain and no client
     * request unanswered; otherwise what is still missing.
     */
    public String convergenceProblem() {
        Optional<SimNode> leader = leader();
        if (leader.isEmpty()) {
            return "no leader in broadcast";
        }
        PeerId lid = leader.get().peerId();
        for (SimNode n : nodeList) {
            if (!isMember(n)) {
                continue; // a spare not added, or a member removed: it follows no one
            }
            if (!n.isUp()) {
                return "node " + n.id() + " is down";
            }
            if (!n.core().isBroadcasting() || !n.core().leader().equals(Optional.of(lid))) {
                return "node " + n.id() + " is not in broadcast under " + lid;
            }
            if (!n.isIdle()) {
                return "node " + n.id() + " has pipeline work";
            }
            if (n.stateMachine().count() != checkers.chainLength()
                    || n.stateMachine().hash() != checkers.chainTipHash()
                    || !n.core().lastDeliveredZxid().equals(checkers.chainTip())) {
                return "node " + n.id() + " is at " + n.stateMachine() + ", chain tip "
                        + checkers.chainTip();
            }
            if (!n.pending.isEmpty()) {
                return "node " + n.id() + " has unanswered requests " + n.pendingRequests();
            }
        }
        return null;
    }

    public boolean converged() {
        return convergenceProblem() == null;
    }
}
