package io.zab.runtime;

import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.Zxid;
import io.zab.election.LeaderElection;
import io.zab.protocol.Action;
import io.zab.protocol.Event;
import io.zab.protocol.Outcome;
import io.zab.protocol.ZabCore;
import io.zab.protocol.message.Message;
import io.zab.storage.Recovery;
import io.zab.transport.Transport;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.SnapChunk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One life of a node over one opening of its stores: a {@link ZabCore} built from what the stores
 * held, with its protocol thread, log writer, delivery thread and transport. A storage failure
 * ends the incarnation for good (a store that failed a force is never written again: fsyncgate);
 * {@link NodeLoop} then builds the next one from what is durable.
 *
 * <p><b>No thread of ours waits on another.</b> Every queue between the threads takes without
 * blocking; what bounds it is upstream: host requests by the node's pending budget
 * ({@link PendingBudget}), the log writer's and delivery thread's work by the core (a leader's
 * in-flight budget counts until its own state machine applied a txn; the leader sends each
 * learner only a window of unacknowledged bytes), and messages from the network by the inbox
 * bound: past {@code inboxMaxBytes} the transport stops reading (TCP pushes back) until the
 * protocol thread has drained half of it. Progress flows back as coalesced marks ("durable up to
 * seq N" from the log writer, "applied up to zxid Z" from the delivery thread): each sets a
 * value and posts at most one wake-up, so a busy writer never waits for room in the inbox.
 *
 * <p>Threads: built, started and torn down by the thread that starts, stops or recovers the node;
 * it runs the protocol thread itself, and the writer and delivery threads through their classes.
 */
final class Incarnation {
    private static final Logger LOG = LoggerFactory.getLogger(Incarnation.class);
    private static final int BATCH_ACTIONS_MAX = 4096;
    /**
     * Events handled before their actions are carried out, when more are waiting: enough to
     * hand many appends and deliveries over at once, few enough to send without delay.
     */
    private static final int EVENTS_PER_ROUTE = 32;
    /** Wake-up of the protocol thread: a mark moved. */
    private static final Object MARKS = new Object();
    /** What a message weighs in the inbox beyond its payload (object and envelope). */
    private static final int MESSAGE_OVERHEAD = 64;

    /** What an incarnation tells its node; called on the incarnation's threads. */
    interface Host {
        void storageFailed(Incarnation from, Exception cause);

        void fatal(Incarnation from, Throwable cause);

        void delivered(long requestId, Zxid zxid, Object value);

        void completed(long requestId, Outcome outcome);

        List<io.zab.RoleListener> listeners();

        /** The node serves in broadcast (called once per incarnation, delivery thread). */
        void broadcasting(PeerId leader);

        /** Where the node reports what it does. */
        Metrics metrics();

        /**
         * The committed membership this incarnation counts by: the recovered or configured one
         * at start, then each newer one it learns (protocol thread; keep it short).
         */
        void membershipInForce(io.zab.Membership committed);
    }

    private final Host host;
    private final ZabConfig config;
    private final StateMachine stateMachine;
    private final int number;
    private final NodeLoop.Stores stores;
    private final DurableMarkLog log;
    private final ZabCore core;
    /** Events and the {@link #MARKS} wake-up; bounded as the class javadoc says. */
    private final Handoff<Object> inbox = new Handoff<>();
    /** Weight of the received messages in the inbox (see {@link #weight}). */
    private final AtomicLong inboxBytes = new AtomicLong();
    /** Peers a message arrived from since the last tick, handled or not ({@link Event.Heard}). */
    private final Set<PeerId> heard = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean readPaused = new AtomicBoolean();
    /** Protocol thread only: the host was told this incarnation serves in broadcast. */
    private boolean toldBroadcasting;
    /** The membership last told to the host by {@link Host#membershipInForce}. */
    private io.zab.Membership toldMembership;
    private final long inboxMaxBytes;
    private final AtomicLong persistedMark = new AtomicLong(Long.MIN_VALUE);
    private final AtomicReference<Zxid> appliedMark;
    private final AtomicBoolean marksPosted = new AtomicBoolean();
    private long persistedFed = Long.MIN_VALUE;
    private Zxid appliedFed;
    private final LogWriter logWriter;
    private final Deliverer deliverer;
    private final Transport transport;
    private final TransportPeers transportPeers;
    private final LongSupplier nanoTime;
    private final Thread thread;
    private final AtomicBoolean storesClosed = new AtomicBoolean();
    private volatile boolean running = true;
    private volatile boolean madeDurable;
    private volatile NodeStatus status;
    /** Protocol thread: when each peer was last heard from (fed once a tick). */
    private final Map<PeerId, Long> lastHeard = new HashMap<>();
    /** Protocol thread: when this node began looking for a leader; 0 while it has one. */
    private long lookingSince;
    private Optional<java.time.Duration> lastElection = Optional.empty();
    private boolean refreshStatus;

    /**
     * @param restoreFirst handed to the state machine before anything is delivered (for a
     *     resumed node, whose state machine holds what the failed incarnation delivered), or
     *     null when the state machine already holds the recovered snapshot's state
     */
    Incarnation(Host host, ZabConfig config, StateMachine stateMachine, int number,
            NodeLoop.Stores stores, Recovery recovery,
            io.zab.storage.SnapshotStore.StoredSnapshot restoreFirst,
            LeaderElection election, Transport transport, LongSupplier nanoTime)
            throws InterruptedException {
        this.host = host;
        this.config = config;
        this.stateMachine = stateMachine;
        this.number = number;
        this.stores = stores;
        this.nanoTime = nanoTime;
        this.transport = transport;
        Map<PeerId, java.net.InetSocketAddress> others = new HashMap<>(config.members());
        others.remove(config.peerId());
        this.log = new DurableMarkLog(stores.log());
        this.core = new ZabCore(NodeWiring.coreConfig(config),
                NodeWiring.startState(config, recovery.state()), election);
        this.inboxMaxBytes = config.inboxMaxBytes();
        this.appliedMark = new AtomicReference<>(recovery.state().snapshotZxid());
        this.appliedFed = recovery.state().snapshotZxid();
        String id = "zab-" + config.peerId() + (number > 1 ? "." + number : "");
        this.transportPeers = new TransportPeers(config.peerId(), transport, others, inbox::add,
                id + "-resolver");
        this.logWriter = new LogWriter(id, log, stores.epochs(), stores.snapshots(),
                stores.membership(), BATCH_ACTIONS_MAX, config.groupCommitMaxBytes(),
                new LogWriter.Listener() {
                    @Override
                    public void onPersisted(long seq) {
                        madeDurable = true;
                        persistedMark.accumulateAndGet(seq, Math::max);
                        signalMarks();
                    }

                    @Override
                    public void onFailure(Exception cause) {
                        host.storageFailed(Incarnation.this, cause);
                    }

                    @Override
                    public void onForced(long nanos) {
                        host.metrics().fsync(nanos);
                    }

                    @Override
                    public void onLogRead(PeerId learner, Zxid after,
                            List<io.zab.protocol.Txn> txns) {
                        inbox.add(new Event.LogRead(learner, after, txns));
                    }

                    @Override
                    public void onLogReadFailed(PeerId learner, Zxid after, String reason) {
                        inbox.add(new Event.LogReadFailed(learner, after, reason));
                    }
                });
        this.deliverer = new Deliverer(id + "-deliver", stateMachine, stores.snapshots(),
                recovery.state().snapshotZxid(), config.snapshotEveryTxns(),
                config.snapshotEveryBytes(), new DeliveryListener());
        if (restoreFirst != null) {
            deliverer.restoreFirst(restoreFirst);
        }
        this.lookingSince = nanoTime.getAsLong();
        this.thread = new Thread(this::run, id + "-protocol");
        this.thread.setDaemon(true);
        updateStatus();
    }

    void start() throws Exception {
        logWriter.start();
        deliverer.start();
        transport.start(config.peerId(), new Transport.Receiver() {
            @Override
            public void onMessage(PeerId from, Message message) {
                if (!heard.contains(from)) {
                    heard.add(from);
                }
                inboxBytes.addAndGet(weight(message));
                inbox.add(new Event.Received(from, message));
            }

            @Override
            public void onDisconnected(PeerId peer) {
                inbox.add(new Event.PeerDisconnected(peer));
            }

            @Override
            public void onHandshakeRefused() {
                host.metrics().handshakeRefused();
            }

            @Override
            public boolean hasRoom() {
                if (inboxBytes.get() < inboxMaxBytes) {
                    return true;
                }
                // Flag first, then look again: the protocol thread resumes reading only when
                // it sees the flag, so a drain between the two looks cannot be missed.
                readPaused.set(true);
                return inboxBytes.get() < inboxMaxBytes;
            }
        });
        thread.start();
    }

    int number() {
        return number;
    }

    boolean running() {
        return running;
    }

    /** True once the log writer made something durable in this incarnation. */
    boolean madeDurable() {
        return madeDurable;
    }

    /** What the failed log writer made durable; only this may be trusted after a failure. */
    Zxid durableMark() {
        return log.durableMark();
    }

    /** @param away why the node is not in the ensemble, or null while it takes part */
    NodeStatus status(String away) {
        NodeStatus s = status;
        long queued = inboxBytes.get() + logWriter.queuedBytes() + deliverer.queuedBytes();
        if (!running || away != null) {
            return new NodeStatus(s.id(), Role.LOOKING, s.epoch(), Optional.empty(), false,
                    s.lastLoggedZxid(), s.lastCommittedZxid(), deliverer.lastDelivered(),
                    s.abstaining(), 0, 0, queued, 0, Map.of(), s.lastElection(),
                    away != null ? away : "left the ensemble", s.membership(),
                    s.membershipChange());
        }
        return new NodeStatus(s.id(), s.role(), s.epoch(), s.leader(), s.broadcasting(),
                s.lastLoggedZxid(), s.lastCommittedZxid(), deliverer.lastDelivered(),
                s.abstaining(), 0, 0, queued, s.inflightBytes(), s.learners(),
                s.lastElection(), s.explanation(), s.membership(), s.membershipChange());
    }

    /** Queues a host request (admitted by the node's pending budget); never blocks. */
    void post(Event event) {
        inbox.add(event);
    }

    /** The inbox weight of a received message: its payload and a fixed overhead. */
    static long weight(Message m) {
        if (m instanceof Proposal p) {
            return MESSAGE_OVERHEAD + p.txn().data().length;
        } else if (m instanceof Inform i) {
            return MESSAGE_OVERHEAD + i.txn().data().length;
        } else if (m instanceof Request r) {
            return MESSAGE_OVERHEAD + r.payload().length;
        } else if (m instanceof SnapChunk c) {
            return MESSAGE_OVERHEAD + c.data().length;
        }
        return MESSAGE_OVERHEAD;
    }

    private void signalMarks() {
        if (marksPosted.compareAndSet(false, true)) {
            inbox.add(MARKS);
        }
    }

    /** Stops routing at once: nothing more is sent, stored or delivered for this core. */
    void halt() {
        running = false;
    }

    /** Leaves the ensemble: peers see the links drop. */
    void closeTransport() {
        transport.close();
        transportPeers.close();
    }

    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickIntervalMs());
        long nextTick = nanoTime.getAsLong() + tickNanos;
        try {
            route(core.drainActions());
            while (running) {
                long wait = nextTick - nanoTime.getAsLong();
                Object e = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : null;
                if (e != null) {
                    handle(e);
                    // A flooded inbox must not hold back the tick: it sends the leader's
                    // PINGs and runs every timeout, so it comes when due, between events.
                    // The actions of a few events go out together (see route).
                    int handled = 1;
                    for (Object more; nanoTime.getAsLong() - nextTick < 0
                            && (more = inbox.poll()) != null && running;) {
                        if (handled++ % EVENTS_PER_ROUTE == 0) {
                            route(core.drainActions());
                        }
                        handle(more);
                    }
                }
                if (nanoTime.getAsLong() - nextTick >= 0) {
                    if (!heard.isEmpty()) {
                        Set<PeerId> from = new HashSet<>(heard);
                        heard.removeAll(from);
                        long now = nanoTime.getAsLong();
                        for (PeerId p : from) {
                            lastHeard.put(p, now);
                        }
                        core.handle(new Event.Heard(from));
                    }
                    core.handle(new Event.Tick());
                    refreshStatus = true;
                    nextTick += tickNanos;
                    if (nanoTime.getAsLong() - nextTick > tickNanos) {
                        nextTick = nanoTime.getAsLong() + tickNanos; // a long pause: no burst
                    }
                }
                route(core.drainActions());
                updateStatus();
                if (refreshStatus) {
                    refreshStatus = false;
                    refreshExplanation();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            if (logWriter.failure() != null || !running) {
                // The writer failed under us (it refuses more actions); the node handles that.
                LOG.debug("node {}: protocol thread stops after the storage failure: {}",
                        config.peerId(), e.toString());
                return;
            }
            LOG.error("node {}: protocol invariant broken; halting this node", config.peerId(),
                    e);
            host.fatal(this, e);
        }
    }

    /** One item of the inbox: an event, or the wake-up for the marks. */
    private void handle(Object item) {
        if (item == MARKS) {
            marksPosted.set(false);
            long seq = persistedMark.get();
            if (seq > persistedFed) {
                persistedFed = seq;
                core.handle(new Event.Persisted(seq));
            }
            Zxid applied = appliedMark.get();
            if (applied.isAfter(appliedFed)) {
                appliedFed = applied;
                core.handle(new Event.Applied(applied));
            }
            return;
        }
        if (item instanceof TransportPeers.Resolved r) {
            transportPeers.resolved(r);
            return;
        }
        Event e = (Event) item;
        if (e instanceof Event.Received r) {
            long left = inboxBytes.addAndGet(-weight(r.message()));
            if (left < inboxMaxBytes / 2 && readPaused.compareAndSet(true, false)) {
                transport.resumeReading();
            }
        }
        core.handle(e);
    }

    /**
     * Carries out the core's actions in order. Storage and delivery actions are handed to their
     * threads as one item each per call (one queue operation and at most one wake-up for many
     * appends); what else reaches the delivery thread (a snapshot read, a role change) goes after
     * the delivery actions before it.
     */
    private void route(List<Action> actions) throws InterruptedException {
        List<Action.StorageAction> writes = null; // made when needed: most calls carry none
        List<Action.DeliveryAction> deliveries = null;
        for (Action a : actions) {
            if (!running) {
                return; // after a failure nothing more leaves: no message, no write
            }
            if (a instanceof Action.Send s) {
                countSync(s);
                transport.send(s.to(), s.message());
            } else if (a instanceof Action.StorageAction st) {
                writes = writes == null ? new ArrayList<>() : writes;
                writes.add(st);
            } else if (a instanceof Action.DeliveryAction d) {
                deliveries = deliveries == null ? new ArrayList<>() : deliveries;
                deliveries.add(d);
            } else if (a instanceof Action.ReadLog || a instanceof Action.PurgeLog) {
                // after the writes before it: it may read them, and a purge never passes a read
                writes = handToLogWriter(writes);
                if (a instanceof Action.ReadLog r) {
                    logWriter.read(r.learner(), r.after(), r.maxBytes());
                } else {
                    logWriter.purge(((Action.PurgeLog) a).upTo());
                }
            } else {
                deliveries = handToDeliverer(deliveries);
                if (a instanceof Action.ReadSnapshotChunk r) {
                    deliverer.readChunk(r.learner(), r.zxid(), r.offset(), r.length());
                } else if (a instanceof Action.Disconnect d) {
                    transport.disconnect(d.peer());
                } else if (a instanceof Action.PeersChanged pc) {
                    transportPeers.changed(pc.peers());
                } else if (a instanceof Action.RoleChanged rc) {
                    tellRole(rc.role(), rc.epoch(), Optional.ofNullable(rc.leader()));
                }
            }
        }
        handToLogWriter(writes);
        handToDeliverer(deliveries);
    }

    /** Queues {@code writes} (if any) on the log writer; null, for a new list of more. */
    private List<Action.StorageAction> handToLogWriter(List<Action.StorageAction> writes) {
        if (writes != null) {
            logWriter.submitAll(writes);
        }
        return null;
    }

    /** Queues {@code deliveries} (if any) on the delivery thread; null, for a new list of more. */
    private List<Action.DeliveryAction> handToDeliverer(List<Action.DeliveryAction> deliveries) {
        if (deliveries != null) {
            deliverer.submitAll(deliveries);
        }
        return null;
    }

    /** A leader's DIFF, TRUNC or SNAP begins a learner's sync (TRUNC may precede a DIFF). */
    private void countSync(Action.Send s) {
        Message m = s.message();
        if (m instanceof io.zab.protocol.message.Diff) {
            host.metrics().syncStarted(io.zab.ZabMetrics.Sync.DIFF, s.to());
        } else if (m instanceof io.zab.protocol.message.Trunc) {
            host.metrics().syncStarted(io.zab.ZabMetrics.Sync.TRUNC, s.to());
        } else if (m instanceof io.zab.protocol.message.Snap) {
            host.metrics().syncStarted(io.zab.ZabMetrics.Sync.SNAP, s.to());
        }
    }

    private void tellRole(Role role, long epoch, Optional<PeerId> leader) {
        host.metrics().roleChanged(role, epoch, leader);
        if (role == Role.LOOKING && lookingSince == 0) {
            lookingSince = nanoTime.getAsLong();
        }
        for (io.zab.RoleListener l : host.listeners()) {
            deliverer.post(() -> l.roleChanged(role, epoch, leader));
        }
        deliverer.post(() -> stateMachine.roleChanged(role, epoch, leader));
    }

    private void updateStatus() {
        io.zab.Membership committed = core.membership();
        if (committed != toldMembership) {
            toldMembership = committed;
            host.membershipInForce(committed);
        }
        boolean broadcasting = core.isBroadcasting();
        if (!toldBroadcasting && broadcasting) {
            toldBroadcasting = true;
            PeerId leader = core.leader().orElse(config.peerId());
            deliverer.post(() -> host.broadcasting(leader));
        }
        if (broadcasting && lookingSince != 0) {
            long took = nanoTime.getAsLong() - lookingSince;
            lookingSince = 0;
            lastElection = Optional.of(java.time.Duration.ofNanos(took));
            host.metrics().electionFinished(took);
        }
        NodeStatus old = status;
        status = new NodeStatus(config.peerId(), core.role(), core.epoch(), core.leader(),
                broadcasting, core.lastLoggedZxid(), core.lastCommittedZxid(),
                deliverer.lastDelivered(), core.isAbstaining(), 0, 0, 0, core.inflightBytes(),
                old == null ? Map.of() : old.learners(), lastElection,
                old == null ? "starting" : old.explanation(), core.membership(),
                Optional.ofNullable(core.pendingMembership()));
    }

    /**
     * Once a tick: what takes more than a glance at the core (the learners' phases, the
     * explanation), so a busy protocol thread does not rebuild it for every batch of events.
     */
    private void refreshExplanation() {
        NodeStatus s = status;
        status = new NodeStatus(s.id(), s.role(), s.epoch(), s.leader(), s.broadcasting(),
                s.lastLoggedZxid(), s.lastCommittedZxid(), s.lastDeliveredZxid(),
                s.abstaining(), 0, 0, 0, s.inflightBytes(), core.learners(), s.lastElection(),
                explain(), s.membership(), s.membershipChange());
    }

    private String explain() {
        if (core.role() != Role.LOOKING) {
            String what = core.describe();
            if (core.role() != Role.LEADING && core.isBroadcasting()) {
                long behind = core.lastLoggedZxid().epoch() == deliverer.lastDelivered().epoch()
                        ? core.lastLoggedZxid().counter() - deliverer.lastDelivered().counter()
                        : -1;
                if (behind > 0) {
                    what += ", " + behind + " txns logged and not yet applied";
                }
            }
            return what;
        }
        if (core.isRemoved()) {
            return "removed from the membership by " + core.membership() + ": it takes no part"
                    + " any more and may be stopped";
        }
        long now = nanoTime.getAsLong();
        long recentNanos = TimeUnit.MILLISECONDS.toNanos((long) config.syncLimitTicks()
                * config.tickIntervalMs());
        List<PeerId> others = core.membership().voters().keySet().stream()
                .filter(p -> !p.equals(config.peerId())).toList();
        StringBuilder silent = new StringBuilder();
        int hears = 0;
        for (PeerId p : others) {
            Long at = lastHeard.get(p);
            if (at != null && now - at < recentNanos) {
                hears++;
            } else {
                silent.append(silent.length() == 0 ? "" : ", ").append(p).append(at == null
                        ? " never heard" : " silent for " + seconds(now - at));
            }
        }
        String since = lookingSince == 0 ? "" : " for " + seconds(now - lookingSince);
        return "looking for a leader" + since + ": hears " + hears + " of " + others.size()
                + " other voters" + (silent.length() == 0 ? "" : " (" + silent + ")")
                + (core.isAbstaining() ? "; abstaining until a leader syncs it (started"
                        + " blank as EXISTING)" : "") + changeInFlight();
    }

    /**
     * What a change in flight means for an election: a leader needs a quorum of the old voters
     * and of the new ones, and a voter the change adds cannot be elected before it commits.
     */
    private String changeInFlight() {
        io.zab.Membership pending = core.pendingMembership();
        if (pending == null) {
            return "";
        }
        return "; a change to voters " + pending.voters().keySet() + " is in flight: a leader"
                + " needs a quorum of the old voters and of the new ones"
                + (core.membership().isVoter(config.peerId()) ? ""
                        : ", and this node, a voter it adds, cannot be elected before it"
                                + " commits");
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /**
     * Takes this incarnation apart: leaves the ensemble (closes the transport, so peers see the
     * links drop), stops the protocol thread and the log writer, lets the delivery thread finish
     * what was queued (committed, durable txns: their futures complete) after telling the host
     * the node is LOOKING, and closes the stores. True once the delivery thread has ended; if
     * it has not (the state machine is stuck), call {@link #awaitDeliveryEnd} before anything
     * else calls the state machine.
     */
    boolean leave(long deliveryWaitMs) throws InterruptedException {
        running = false;
        transport.close();
        transportPeers.close();
        stopThreads();
        long epoch = status.epoch();
        for (io.zab.RoleListener l : host.listeners()) {
            deliverer.tryPost(() -> l.roleChanged(Role.LOOKING, epoch, Optional.empty()));
        }
        deliverer.tryPost(() -> stateMachine.roleChanged(Role.LOOKING, epoch, Optional.empty()));
        boolean ended = deliverer.stopAfterQueued(deliveryWaitMs);
        closeStores();
        return ended;
    }

    boolean awaitDeliveryEnd(long timeoutMs) throws InterruptedException {
        return deliverer.awaitEnd(timeoutMs);
    }

    /** Stops everything at once (closing the node, or a start that failed). */
    void close() {
        running = false;
        transport.close();
        transportPeers.close();
        try {
            stopThreads();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deliverer.close();
        closeStores();
    }

    private void stopThreads() throws InterruptedException {
        if (thread.isAlive() && thread != Thread.currentThread()) {
            thread.join(5_000);
        }
        logWriter.close();
    }

    private void closeStores() {
        if (!storesClosed.compareAndSet(false, true)) {
            return;
        }
        try {
            stores.closer().close();
        } catch (Exception e) {
            LOG.warn("node {}: closing storage: {}", config.peerId(), e.toString());
        }
    }

    private final class DeliveryListener implements Deliverer.Listener {
        @Override
        public void delivered(long requestId, Zxid zxid, Object value) {
            host.delivered(requestId, zxid, value);
        }

        @Override
        public void completed(long requestId, Outcome outcome) {
            host.completed(requestId, outcome);
        }

        @Override
        public void applied(Zxid zxid) {
            appliedMark.set(zxid);
            signalMarks();
        }

        @Override
        public void membershipChanged(io.zab.Membership committed) {
            for (io.zab.RoleListener l : host.listeners()) {
                l.onMembershipChanged(committed);
            }
        }

        @Override
        public void snapshotTaken(PeerId learner, Zxid zxid, long size, int crc) {
            inbox.add(new Event.SnapshotReady(learner, zxid, size, crc));
        }

        @Override
        public void snapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) {
            inbox.add(new Event.SnapshotChunk(learner, zxid, offset, data));
        }

        @Override
        public void snapshotFailed(PeerId learner, Zxid zxid, String reason) {
            inbox.add(new Event.SnapshotFailed(learner, zxid, reason));
        }

        @Override
        public void failed(Throwable error) {
            host.fatal(Incarnation.this, error);
        }

        @Override
        public void committed(int txns, long bytes) {
            host.metrics().committed(txns, bytes);
        }

        @Override
        public void snapshotWritten(long nanos, long bytes) {
            host.metrics().snapshotSaved(nanos, bytes);
        }

        /**
         * The log may be purged up to the oldest snapshot kept: the core hears of it first
         * (it stops counting those txns as logged, so it asks for no read of them), then asks
         * the log writer to purge, after the reads it asked for before.
         */
        @Override
        public void snapshotSaved(Zxid zxid) {
            try {
                java.util.Optional<Zxid> oldest = stores.snapshots().oldestKept();
                if (oldest.isPresent()) {
                    inbox.add(new Event.LogPurgeable(oldest.get()));
                }
            } catch (java.io.IOException e) {
                LOG.warn("node {}: after the snapshot at {}: {}", config.peerId(), zxid,
                        e.toString());
            }
        }
    }
}
