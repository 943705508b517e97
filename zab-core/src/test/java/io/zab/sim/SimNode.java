package io.zab.sim;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.Complete;
import io.zab.protocol.Action.Deliver;
import io.zab.protocol.Action.DeliveryAction;
import io.zab.protocol.Action.RequestProposed;
import io.zab.protocol.Action.RestoreSnapshot;
import io.zab.protocol.Action.RoleChanged;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Action.StorageAction;
import io.zab.protocol.Action.TakeSnapshot;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.Event;
import io.zab.protocol.Outcome;
import io.zab.protocol.Txn;
import io.zab.protocol.ZabCore;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.storage.Recovery;
import io.zab.storage.SnapshotStore.StoredSnapshot;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One simulated node: its {@link ZabCore}, its disk (which survives crashes), its state machine
 * (which does not), and the two pipelines that carry out the core's actions. Every step that is
 * not atomic on a real machine is its own event: each storage action, each fsync, the
 * {@code Persisted} report, each delivery action, each message.
 *
 * <p>One thread (the simulation's). Scripts read it through the getters; the cluster drives it.
 */
public final class SimNode {
    static final long TICK = 100 * SimClock.MILLIS;
    /** Group commit: at most this many writes before the writer stops to fsync. */
    private static final int WRITES_PER_SYNC = 64;

    private enum DiskState { IDLE, WRITING, SYNCING }

    private final SimCluster cluster;
    private final int id;
    private CoreConfig config;
    private final SimDisk disk = new SimDisk();
    private final SimStateMachine stateMachine = new SimStateMachine();
    private ZabCore core;
    private boolean up;
    private int incarnation;
    private Role role = Role.LOOKING;

    /** The log writer's queue: storage actions, and the core's log reads and purges. */
    private final ArrayDeque<Action> storageQueue = new ArrayDeque<>();
    private DiskState diskState = DiskState.IDLE;
    private long appliedSeq;
    private int writesSinceSync;
    private final ArrayDeque<DeliveryAction> deliveryQueue = new ArrayDeque<>();
    private boolean delivering;
    /** A frozen process (GC pause, SIGSTOP): everything it would do waits here, in order. */
    private boolean paused;
    private final ArrayDeque<Runnable> frozen = new ArrayDeque<>();
    private boolean tickFrozen;
    /** Snapshots being sent, by learner (memory, lost in a crash), and the snapshot thread. */
    private final Map<Integer, StoredSnapshot> transfers = new HashMap<>();
    private long snapshotThreadFree;
    /** Txns delivered since the last periodic snapshot ({@link SimOptions#snapshotEveryTxns}). */
    private long sinceSnapshot;
    /** This node's periodic snapshot interval, or -1 for the cluster's option. */
    private long snapshotEvery = -1;
    /** A slow disk: every fsync takes this long (0: the usual 0.1-2 ms). */
    private long fsyncMicros;
    /** A slow state machine: every delivery action takes this long (0: the usual 10-300 us). */
    private long deliveryMicros;

    /** Requests submitted here and not answered yet, in submission order. */
    final Map<Long, SimRequest> pending = new LinkedHashMap<>();
    /** RequestProposed bindings: packed zxid to the request waiting for it. */
    private final Map<Long, SimRequest> bound = new HashMap<>();
    /** Checker state: the epoch this node broadcasts as leader in, or -1. */
    long broadcastingEpoch = -1;
    /** Checker state: the highest zxid this node announced committed that was checked. */
    Zxid commitChecked = Zxid.ZERO;
    /**
     * Checker state: the quorum in force when this node, leading, proposed each zxid not yet
     * checked committed (a txn proposed while a change is in flight needs the joint quorum even
     * if the change commits before it does).
     */
    final java.util.NavigableMap<Zxid, io.zab.protocol.quorum.QuorumVerifier> proposedUnder =
            new java.util.TreeMap<>();

    /** How the operator restarts this node after a wipe: joining the existing cluster or not. */
    void joinExisting(boolean join) {
        config = config.withJoinExisting(join);
    }

    SimNode(SimCluster cluster, int id, CoreConfig config) {
        this.cluster = cluster;
        this.id = id;
        this.config = config;
    }

    public int id() {
        return id;
    }

    public PeerId peerId() {
        return config.self();
    }

    public boolean isVoter() {
        return !config.isObserver();
    }

    /**
     * A voter that would abstain from elections: blank, restarted as joining an existing
     * cluster, and not yet synced (judged from its disk while it is down).
     */
    public boolean abstains() {
        if (!isVoter()) {
            return false;
        }
        if (isUp()) {
            return !core().mayVote();
        }
        return config.joinExisting() && disk().epochs().currentEpoch() == 0;
    }

    public boolean isUp() {
        return up;
    }

    /** The core of the current (or, while down, the last) incarnation. */
    public ZabCore core() {
        return core;
    }

    public SimDisk disk() {
        return disk;
    }

    public SimStateMachine stateMachine() {
        return stateMachine;
    }

    /** The role from the last RoleChanged action. */
    public Role role() {
        return role;
    }

    int incarnation() {
        return incarnation;
    }

    /** Nothing queued in either pipeline. */
    public boolean isIdle() {
        return storageQueue.isEmpty() && diskState == DiskState.IDLE && deliveryQueue.isEmpty()
                && !delivering && !paused && frozen.isEmpty();
    }

    private SimClock clock() {
        return cluster.clock();
    }

    private long between(long lo, long hi) {
        return lo + cluster.random().nextLong(hi - lo + 1);
    }

    /** Makes this node's disk slow (each fsync {@code micros}); 0 restores the usual speed. */
    public void slowDisk(long micros) {
        this.fsyncMicros = micros;
    }

    /**
     * This node takes a snapshot every {@code txns} txns delivered and purges its log up to it,
     * whatever the cluster's option says (0: never). A leader that does keeps only a short log,
     * so a follower that comes back from far behind gets SNAP.
     */
    public void snapshotEveryTxns(long txns) {
        this.snapshotEvery = txns;
    }

    /** Makes this node's state machine slow (each delivery action {@code micros}). */
    public void slowStateMachine(long micros) {
        this.deliveryMicros = micros;
    }

    /** Payload bytes queued for this node's log writer (appends not yet applied). */
    public long storageQueueBytes() {
        long n = 0;
        for (Action a : storageQueue) {
            n += a instanceof AppendTxns t ? Txn.payloadBytes(t.txns()) : 0;
        }
        return n;
    }

    /** Payload bytes queued for this node's state machine. */
    public long deliveryQueueBytes() {
        long n = 0;
        for (DeliveryAction a : deliveryQueue) {
            n += a instanceof Deliver d ? Txn.payloadBytes(d.txns()) : 0;
        }
        return n;
    }

    // ---- life cycle ----

    /** Starts an incarnation from what the disk holds (the first start, or a restart). */
    void start() {
        Recovery recovery;
        try {
            recovery = Recovery.load(disk.log(), disk.epochs(), disk.snapshots(),
                    disk.membership());
        } catch (IOException | RuntimeException e) {
            throw Checkers.violation("Recovery", "node " + id + " cannot start from its disk: "
                    + e);
        }
        disk.rebuildShadow();
        incarnation++;
        up = true;
        role = Role.LOOKING;
        appliedSeq = 0;
        writesSinceSync = 0;
        sinceSnapshot = 0;
        diskState = DiskState.IDLE;
        broadcastingEpoch = -1;
        commitChecked = Zxid.ZERO;
        proposedUnder.clear();
        stateMachine.reset();
        Optional<StoredSnapshot> snap = recovery.snapshot();
        if (snap.isPresent()) {
            byte[] data;
            try {
                data = snap.get().data();
            } catch (IOException e) {
                throw new AssertionError("a memory snapshot cannot fail to read", e);
            }
            cluster.checkers().onRestore(this, snap.get().zxid(), data, "restart");
        }
        cluster.trace().add(now(), id, "start", recovery.state().acceptedEpoch() + "/"
                + recovery.state().currentEpoch() + " snap " + recovery.state().snapshotZxid()
                + " log to " + recovery.state().lastZxid(), null);
        core = new ZabCore(config, recovery.state(), cluster.options().election.get());
        route(core.drainActions(), Role.LOOKING);
        scheduleTick(between(1, TICK));
    }

    /** Power loss: unsynced writes, memory, pipelines and timers are gone. */
    void crash() {
        up = false;
        incarnation++;
        storageQueue.clear();
        diskState = DiskState.IDLE;
        deliveryQueue.clear();
        delivering = false;
        paused = false;
        frozen.clear();
        tickFrozen = false;
        disk.crash(cluster.random());
        stateMachine.reset();
        bound.clear();
        transfers.clear();
        for (SimRequest r : pending.values()) {
            r.status = SimRequest.Status.UNKNOWN;
            cluster.stats().lostInCrash++;
            r.completedAt = now();
        }
        pending.clear();
        broadcastingEpoch = -1;
        cluster.trace().add(now(), id, "CRASH", "log durable to " + disk.durableLastZxid(),
                null);
    }

    private long now() {
        return clock().now();
    }

    private void scheduleTick(long delay) {
        int inc = incarnation;
        clock().after(delay, () -> {
            if (!isCurrent(inc)) {
                return;
            }
            if (!paused) {
                handle(new Event.Tick(), "tick");
            } else if (!tickFrozen) {
                // A frozen process sees one late timer when it wakes, not every missed one.
                tickFrozen = true;
                frozen.add(() -> {
                    tickFrozen = false;
                    handle(new Event.Tick(), "tick");
                });
            }
            if (isCurrent(inc)) {
                scheduleTick(TICK);
            }
        });
    }

    /** Runs a step of this node now, or queues it while the process is frozen. */
    private void gate(Runnable step) {
        if (paused) {
            frozen.add(step);
        } else {
            step.run();
        }
    }

    /** Schedules a step of this incarnation, {@code delay} from now, through the gate. */
    private void later(long delay, Runnable step) {
        int inc = incarnation;
        clock().after(delay, () -> {
            if (isCurrent(inc)) {
                gate(step);
            }
        });
    }

    /** An event from the network (a message, a broken connection), through the gate. */
    void receive(Event event, String kind) {
        gate(() -> handle(event, kind));
    }

    /** Freezes the process until {@code until}: no steps, timers coalesce, inbox queues up. */
    void pause(long until) {
        int inc = incarnation;
        paused = true;
        cluster.trace().add(now(), id, "PAUSE until " + SimClock.format(until), null, null);
        clock().at(until, () -> {
            if (isCurrent(inc) && paused) {
                paused = false;
                cluster.trace().add(now(), id, "RESUME with " + frozen.size() + " steps queued",
                        null, null);
                List<Runnable> steps = new ArrayList<>(frozen);
                frozen.clear();
                for (Runnable step : steps) {
                    later(0, step);
                }
            }
        });
    }

    public boolean isPaused() {
        return paused;
    }

    boolean isCurrent(int inc) {
        return up && incarnation == inc;
    }

    /** Hands an event to the core as a step of its own, {@code delay} from now. */
    void post(Event event, String kind, long delay) {
        later(delay, () -> handle(event, kind));
    }

    // ---- the core step ----

    /** Feeds one event to the core now and routes what it asks for. */
    void handle(Event event, String kind) {
        if (!cluster.interceptEvent(this, event)) {
            return;
        }
        Role before = core.role();
        try {
            core.handle(event);
        } catch (RuntimeException e) {
            AssertionError failure = Checkers.violation("CoreFailure", "node " + id
                    + " threw while handling " + SimTrace.describe(event) + ": " + e);
            failure.initCause(e);
            throw failure;
        }
        List<Action> actions = core.drainActions();
        if (!isHeartbeat(event, actions)) {
            cluster.trace().add(now(), id, kind, event, actions.isEmpty() ? null : actions);
        }
        route(actions, before);
        if (up) {
            cluster.checkers().afterHandle(this);
        }
    }

    /**
     * A step that only exchanged heartbeats: a tick that sent PINGs (or nothing), a PING
     * answered by a PINGACK, a PINGACK that changed nothing. Left out of the trace, which would
     * otherwise be mostly heartbeats.
     */
    private static boolean isHeartbeat(Event event, List<Action> actions) {
        boolean trigger = event instanceof Event.Tick
                || (event instanceof Event.Received r
                        && (r.message() instanceof Ping || r.message() instanceof PingAck));
        if (!trigger) {
            return false;
        }
        for (Action a : actions) {
            if (!(a instanceof Send s)
                    || !(s.message() instanceof Ping || s.message() instanceof PingAck)) {
                return false;
            }
        }
        return true;
    }

    private void route(List<Action> actions, Role before) {
        Role emitRole = before;
        int inc = incarnation;
        for (Action a : actions) {
            if (!isCurrent(inc)) {
                return;
            }
            if (a instanceof Send s) {
                cluster.checkers().onSend(this, s, emitRole);
                cluster.stats().onSend(s.message());
                if (cluster.interceptAction(this, a)) {
                    cluster.network().send(id, s.to().value(), s.message());
                }
            } else if (a instanceof StorageAction st) {
                if (a instanceof AppendTxns append && emitRole == Role.LEADING) {
                    cluster.checkers().onLeaderAppend(this, append);
                }
                storageQueue.add(st);
                kickDisk();
            } else if (a instanceof DeliveryAction d) {
                deliveryQueue.add(d);
                kickDelivery();
            } else if (a instanceof Action.ReadSnapshotChunk r) {
                readChunk(r);
            } else if (a instanceof Action.ReadLog || a instanceof Action.PurgeLog) {
                storageQueue.add(a); // the runtime's log writer serves them in queue order
                kickDisk();
            } else if (a instanceof Action.PeersChanged) {
                // The simulated network links every pair; each core drops what non-members
                // send. Hooks still see it (a crash when the leader starts adding a member).
                cluster.interceptAction(this, a);
            } else if (a instanceof Action.Disconnect d) {
                // Every peer in the simulation is honest: a rejected message means a check of
                // the core refuses a real protocol path.
                throw Checkers.violation("HonestPeerRejected", "node " + id + " rejected peer "
                        + d.peer() + ": " + d.reason());
            } else if (a instanceof RoleChanged rc) {
                emitRole = rc.role();
                if (cluster.interceptAction(this, a)) {
                    role = rc.role();
                }
            } else {
                throw Checkers.violation("CoreFailure", "node " + id + " emitted unknown " + a);
            }
        }
    }

    // ---- the log writer ----

    private void kickDisk() {
        if (diskState == DiskState.IDLE && !storageQueue.isEmpty()) {
            diskState = DiskState.WRITING;
            scheduleDisk(between(5, 50), this::applyNextWrite);
        }
    }

    private void scheduleDisk(long delay, Runnable step) {
        later(delay, step);
    }

    private void applyNextWrite() {
        Action item = storageQueue.peek();
        int inc = incarnation;
        boolean proceed = cluster.interceptAction(this, item);
        if (!isCurrent(inc)) {
            return;
        }
        storageQueue.poll();
        if (!(item instanceof StorageAction a)) {
            serveLog(item, proceed);
            nextWrite();
            return;
        }
        if (a.seq() <= appliedSeq) {
            throw Checkers.violation("StorageOrder", "node " + id + " storage action #"
                    + a.seq() + " after #" + appliedSeq);
        }
        if (proceed) {
            try {
                disk.apply(a);
            } catch (IOException | RuntimeException e) {
                AssertionError failure = Checkers.violation("LogContinuity", "node " + id
                        + " could not apply " + SimTrace.describe(a) + ": " + e);
                failure.initCause(e);
                throw failure;
            }
            cluster.trace().add(now(), id, "disk", a, null);
        }
        appliedSeq = a.seq();
        writesSinceSync++;
        nextWrite();
    }

    /** After one item: the next, or an fsync of what was written, or idle. */
    private void nextWrite() {
        if (!storageQueue.isEmpty() && writesSinceSync < WRITES_PER_SYNC) {
            scheduleDisk(between(5, 50), this::applyNextWrite);
        } else if (writesSinceSync == 0) {
            diskState = DiskState.IDLE; // only reads and purges since the last fsync
        } else {
            diskState = DiskState.SYNCING;
            scheduleDisk(fsyncMicros > 0 ? fsyncMicros : between(100, 2_000), this::fsync);
        }
    }

    /**
     * A read of the log for a learner, answered a little later (a hook that drops it makes it
     * fail, as an unreadable disk would), or a purge.
     */
    private void serveLog(Action item, boolean proceed) {
        if (item instanceof Action.ReadLog r) {
            Event answer;
            List<Txn> txns = proceed ? disk.read(r.after(), r.maxBytes()) : List.of();
            cluster.stats().logReads++;
            if (!txns.isEmpty() && r.after().isFollowedBy(txns.get(0).zxid())) {
                answer = new Event.LogRead(r.learner(), r.after(), txns);
            } else {
                cluster.stats().logReadsFailed++;
                answer = new Event.LogReadFailed(r.learner(), r.after(), proceed
                        ? "the log (from " + disk.log().base() + ") no longer holds the txn after "
                                + r.after() : "a hook dropped the read");
            }
            cluster.trace().add(now(), id, "disk", item, null);
            post(answer, "log read", between(1, 20));
        } else if (item instanceof Action.PurgeLog p && proceed) {
            cluster.stats().purges++;
            disk.purge(p.upTo());
            cluster.trace().add(now(), id, "disk", item, null);
        }
    }

    private void fsync() {
        try {
            disk.sync();
        } catch (IOException e) {
            throw new AssertionError("memory log failed to sync", e);
        }
        long seq = appliedSeq;
        writesSinceSync = 0;
        cluster.trace().add(now(), id, "fsync to #" + seq + ", log durable to "
                + disk.durableLastZxid(), null, null);
        post(new Event.Persisted(seq), "persisted", between(1, 20));
        if (storageQueue.isEmpty()) {
            diskState = DiskState.IDLE;
        } else {
            diskState = DiskState.WRITING;
            scheduleDisk(between(5, 50), this::applyNextWrite);
        }
    }

    // ---- the delivery thread ----

    private void kickDelivery() {
        if (!delivering && !deliveryQueue.isEmpty()) {
            delivering = true;
            scheduleDelivery();
        }
    }

    private void scheduleDelivery() {
        later(deliveryMicros > 0 ? deliveryMicros : between(10, 300), this::deliverNext);
    }

    private void deliverNext() {
        DeliveryAction a = deliveryQueue.peek();
        int inc = incarnation;
        boolean proceed = cluster.interceptAction(this, a);
        if (!isCurrent(inc)) {
            return;
        }
        deliveryQueue.poll();
        if (proceed) {
            cluster.trace().add(now(), id, "host", a, null);
            runDelivery(a);
        }
        if (!isCurrent(inc)) {
            return;
        }
        if (deliveryQueue.isEmpty()) {
            delivering = false;
        } else {
            scheduleDelivery();
        }
    }

    private void runDelivery(DeliveryAction a) {
        Checkers checkers = cluster.checkers();
        if (a instanceof Deliver d) {
            for (Txn t : d.txns()) {
                long position = checkers.onDeliver(this, t);
                SimRequest r = bound.remove(t.zxid().toLong());
                if (r != null) {
                    pending.remove(r.id);
                    checkers.onWriteDelivered(this, r, t, position);
                    cluster.stats().succeeded++;
                }
            }
            applied(d.txns().get(d.txns().size() - 1).zxid());
            sinceSnapshot += d.txns().size();
            maybeSnapshot();
        } else if (a instanceof RequestProposed rp) {
            SimRequest r = pending.get(rp.requestId());
            if (r == null || (r.kind != SimRequest.Kind.WRITE
                    && r.kind != SimRequest.Kind.CHANGE)) {
                throw Checkers.violation("RequestOutcome", "node " + id + " bound unknown or"
                        + " finished request " + rp.requestId() + " to " + rp.zxid());
            }
            r.boundZxid = rp.zxid();
            bound.put(rp.zxid().toLong(), r);
        } else if (a instanceof Complete c) {
            SimRequest r = pending.remove(c.requestId());
            if (r == null) {
                throw Checkers.violation("RequestOutcome", "node " + id + " completed unknown or"
                        + " finished request " + c.requestId() + " with " + c.outcome());
            }
            if (r.boundZxid != null) {
                bound.remove(r.boundZxid.toLong());
            }
            checkers.onComplete(this, r, c.outcome());
            cluster.stats().onOutcome(c.outcome());
        } else if (a instanceof RestoreSnapshot rs) {
            byte[] data = disk.snapshots().latest().filter(s -> s.zxid().equals(rs.zxid()))
                    .map(SimNode::bytesOf).orElseThrow(() -> Checkers.violation("Restore",
                            "node " + id + " restores " + rs.zxid() + " but keeps no such"
                                    + " snapshot"));
            checkers.onRestore(this, rs.zxid(), data, "RestoreSnapshot");
            applied(rs.zxid());
        } else if (a instanceof TakeSnapshot ts) {
            byte[] data = stateMachine.snapshotBytes();
            Zxid at = stateMachine.lastZxid();
            try {
                disk.snapshots().saveIfNewest(at, out -> out.write(data));
            } catch (IOException e) {
                throw new AssertionError("a memory snapshot store cannot fail", e);
            }
            StoredSnapshot kept = disk.snapshots().latest().orElseThrow();
            // Pinned for this learner's transfer, as the runtime's open stream pins its file.
            transfers.put(ts.learner().value(), kept);
            onSnapshotThread(new Event.SnapshotReady(ts.learner(), kept.zxid(), kept.size(),
                    kept.crc()), "snapshot ready", between(200, 5_000));
        }
    }

    /**
     * A periodic snapshot, as the runtime's delivery thread takes one, then the log purged up to
     * it (the memory store keeps only the newest): the core hears of it first. None while a
     * snapshot installed by SNAP waits to be restored (the store would lose it).
     */
    private void maybeSnapshot() {
        long every = snapshotEvery >= 0 ? snapshotEvery : cluster.options().snapshotEveryTxns;
        if (every == 0 || sinceSnapshot < every
                || deliveryQueue.stream().anyMatch(x -> x instanceof RestoreSnapshot)) {
            return;
        }
        sinceSnapshot = 0;
        byte[] data = stateMachine.snapshotBytes();
        Zxid at = stateMachine.lastZxid();
        try {
            if (!disk.snapshots().saveIfNewest(at, out -> out.write(data))) {
                return;
            }
        } catch (IOException e) {
            throw new AssertionError("a memory snapshot store cannot fail", e);
        }
        cluster.trace().add(now(), id, "snapshot at " + at, null, null);
        post(new Event.LogPurgeable(at), "log purgeable", between(1, 20));
    }

    private static byte[] bytesOf(StoredSnapshot s) {
        try {
            return s.data();
        } catch (IOException e) {
            throw new AssertionError("a memory snapshot cannot fail to read", e);
        }
    }

    /**
     * The snapshot thread: one job at a time, in order, so the chunks of a transfer reach the
     * core in offset order as they do in the runtime.
     */
    private void onSnapshotThread(Event event, String kind, long work) {
        snapshotThreadFree = Math.max(snapshotThreadFree, now()) + work;
        post(event, kind, snapshotThreadFree - now());
    }

    private void readChunk(Action.ReadSnapshotChunk r) {
        StoredSnapshot s = transfers.get(r.learner().value());
        if (s == null || !s.zxid().equals(r.zxid())) {
            return; // the transfer was abandoned
        }
        byte[] all = bytesOf(s);
        byte[] chunk = java.util.Arrays.copyOfRange(all, (int) r.offset(),
                (int) (r.offset() + r.length()));
        onSnapshotThread(new Event.SnapshotChunk(r.learner(), r.zxid(), r.offset(), chunk),
                "snapshot chunk", between(20, 300));
    }

    /** The delivery thread's coalesced "applied up to" mark, reaching the core a little later. */
    private void applied(Zxid zxid) {
        post(new Event.Applied(zxid), "applied", between(1, 20));
    }

    // ---- clients ----

    void submit(SimRequest r) {
        if (pending.size() >= cluster.options().pendingMaxTxns) {
            // The runtime's pending budget: refused at the edge, never handed to the core.
            Outcome refused = Outcome.failed(Outcome.Kind.OVERLOADED, null,
                    "pending budget in use");
            cluster.checkers().onComplete(this, r, refused);
            cluster.stats().onOutcome(refused);
            return;
        }
        pending.put(r.id, r);
        post(new Event.Submit(r.id, r.payload, cluster.options().requestWaitTicks), "submit", 1);
    }

    void sync(SimRequest r) {
        pending.put(r.id, r);
        post(new Event.SyncRead(r.id, cluster.options().requestWaitTicks), "sync", 1);
    }

    void transfer(SimRequest r, int target, int timeoutTicks) {
        pending.put(r.id, r);
        post(new Event.TransferLeadership(r.id, new io.zab.PeerId(target), timeoutTicks),
                "transfer", 1);
    }

    void changeMembership(SimRequest r, io.zab.Membership target, int timeoutTicks) {
        pending.put(r.id, r);
        post(new Event.ChangeMembership(r.id, target, timeoutTicks), "change", 1);
    }

    /** Requests waiting for an answer from this node. */
    public List<SimRequest> pendingRequests() {
        return new ArrayList<>(pending.values());
    }

    @Override
    public String toString() {
        if (!up) {
            return "n" + id + " DOWN";
        }
        return "n" + id + " " + core.role() + (core.isBroadcasting() ? "*" : "") + " epoch "
                + core.epoch() + " logged " + core.lastLoggedZxid() + " committed "
                + core.lastCommittedZxid() + " delivered " + core.lastDeliveredZxid() + " "
                + stateMachine;
    }
}
