package io.zab.protocol;

import io.zab.LearnerStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.Membership;
import io.zab.election.LeaderElection;
import io.zab.protocol.Action.Complete;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Event.Applied;
import io.zab.protocol.Event.PeerDisconnected;
import io.zab.protocol.Event.Persisted;
import io.zab.protocol.Event.Received;
import io.zab.protocol.Event.SnapshotReady;
import io.zab.protocol.Event.Submit;
import io.zab.protocol.Event.SyncRead;
import io.zab.protocol.Event.Tick;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Notification;
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Zab protocol as a deterministic state machine, in the style of etcd's RawNode: the
 * driver calls {@link #handle} for each {@link Event} and then {@link #drainActions} to learn what
 * to do. No I/O, no threads, no clock: the same code runs in the simulator and in ZabNode.
 *
 * <p>The core holds what every role shares: the in-memory history and what its log on disk
 * holds ({@link LogExtent}, the DIFF a leader can serve from disk), and, each in one part of it,
 * the epochs and what is durable by storage sequence number ({@link LocalStorage}), what is
 * committed, delivered and applied ({@link Delivery}), the host requests in flight
 * ({@link LocalRequests}), the peers it talks to and its standing in the membership
 * ({@link Peers}), the election ({@link Looking}), and the transfers and membership changes
 * asked of it ({@link ChangeRequests}). The core dispatches each event to its parts and to the
 * role. The roles ({@link LeaderRole}, {@link FollowerRole}) hold the phase of the protocol;
 * while LOOKING there is no role and the {@link LeaderElection} runs.
 *
 * <p>Not thread-safe: one thread (the protocol thread, or the simulator) owns it.
 */
public final class ZabCore {
    /** Also the logger of the core's parts, so their lines keep this logger's name. */
    static final Logger LOG = LoggerFactory.getLogger(ZabCore.class);

    private final CoreConfig config;
    private final List<Action> actions = new ArrayList<>();
    private long ticks;
    private RoleState role;

    private final History history;
    /** What the txn log holds: the DIFF a leader can serve from disk ({@link LogExtent}). */
    private final LogExtent logExtent;
    private final ServableHistory servable;
    private final Memberships memberships;

    private final LocalRequests requests;
    private final Delivery delivery;
    private final LocalStorage storage;
    private final Peers peers;
    private final Looking looking;
    private final ChangeRequests changes;
    /** Peers whose connection had a rejected message logged at WARN (until it breaks). */
    private final Set<PeerId> rejectLogged = new java.util.HashSet<>();
    private long rejectedMessages;

    public ZabCore(CoreConfig config, PersistentState state, LeaderElection election) {
        this.config = config;
        this.requests = new LocalRequests(this);
        this.history = new History(state.snapshotZxid(), state.log());
        this.logExtent = new LogExtent(state.snapshotZxid(), state.log());
        this.servable = new ServableHistory(history, logExtent);
        this.delivery = new Delivery(this, history, requests, state.snapshotZxid());
        this.memberships = new Memberships(state.membership() != null ? state.membership()
                : io.zab.Membership.of(config.voters(), config.observers()), state.log());
        this.storage = new LocalStorage(this, state, history, logExtent, delivery);
        this.peers = new Peers(this);
        this.looking = new Looking(this, election, history, peers);
        this.changes = new ChangeRequests(this);
        LOG.info("node {}: {}", config.self(), memberships);
        peers.announce();
        looking.start();
    }

    /** Feeds one event; the answer accumulates until {@link #drainActions}. */
    public void handle(Event event) {
        if (event instanceof Received r) {
            onReceived(r.from(), r.message());
        } else if (event instanceof Tick) {
            ticks++;
            looking.onTick();
            requests.expireAwaitingLeader();
            if (role != null) {
                role.onTick();
            }
            looking.check();
        } else if (event instanceof Event.Heard h) {
            if (role != null) {
                role.onHeard(h.peers());
            }
        } else if (event instanceof Persisted p) {
            onPersisted(p.seq());
        } else if (event instanceof Applied a) {
            delivery.onApplied(a.zxid());
        } else if (event instanceof Submit s) {
            requests.onSubmit(s.requestId(), s.payload(), s.waitTicks());
        } else if (event instanceof SyncRead s) {
            requests.onSyncRead(s.requestId(), s.waitTicks());
        } else if (event instanceof Event.TransferLeadership t) {
            changes.onTransferLeadership(t.requestId(), t.target(), t.timeoutTicks());
        } else if (event instanceof Event.ChangeMembership c) {
            changes.onChangeMembership(c.requestId(), c.target(), c.timeoutTicks());
        } else if (event instanceof PeerDisconnected d) {
            looking.forget(d.peer());
            rejectLogged.remove(d.peer()); // a new connection gets its own WARN
            if (role != null) {
                role.onDisconnected(d.peer());
            }
        } else if (event instanceof SnapshotReady s) {
            if (role != null) {
                role.onSnapshotReady(s.learner(), s.zxid(), s.size(), s.crc());
            }
        } else if (event instanceof Event.SnapshotChunk c) {
            if (role != null) {
                role.onSnapshotChunk(c.learner(), c.zxid(), c.offset(), c.data());
            }
        } else if (event instanceof Event.SnapshotFailed f) {
            if (role != null) {
                role.onSnapshotFailed(f.learner(), f.zxid(), f.reason());
            }
        } else if (event instanceof Event.LogRead r) {
            if (role != null) {
                role.onLogRead(r.learner(), r.after(), r.txns());
            }
        } else if (event instanceof Event.LogReadFailed f) {
            if (role != null) {
                role.onLogReadFailed(f.learner(), f.after(), f.reason());
            }
        } else if (event instanceof Event.LogPurgeable p) {
            onLogPurgeable(p.upTo());
        } else {
            throw new IllegalArgumentException("unknown event " + event);
        }
        // A transfer that just timed out makes us a leader taking writes again: release what
        // waited for the next leader in this same event, not the next one.
        changes.check();
        requests.releaseAwaitingLeader();
        peers.settled();
    }

    public List<Action> drainActions() {
        if (actions.isEmpty()) {
            return List.of(); // the protocol thread drains after every tick and idle wait too
        }
        List<Action> out = new ArrayList<>(actions);
        actions.clear();
        return out;
    }

    private void onReceived(PeerId from, Message message) {
        if (!memberships.knows(from) && !from.equals(leaderHint())) {
            LOG.warn("node {}: dropping {} from unknown peer {}", config.self(),
                    message.getClass().getSimpleName(), from);
            return;
        }
        if (message instanceof Notification n) {
            looking.onNotification(from, n);
        } else if (role != null) {
            role.onMessage(from, message);
        } else if (message instanceof FollowerInfo || message instanceof ObserverInfo) {
            looking.keepEarlyInfo(from, message);
        } else {
            LOG.debug("node {}: looking, ignoring {} from {}", config.self(), message, from);
        }
    }

    /**
     * A local request a leader held for room but never proposed, handed back as it steps down:
     * it waits for the next leader within what is left of its wait.
     */
    void holdForNextLeader(HeldRequests.Held h) {
        requests.holdForNextLeader(h);
    }

    /**
     * Stages a change asked by {@code origin} (this node, or a learner that forwarded it) on
     * this leader; returns why it is refused at once (nothing changed), or null.
     */
    Outcome startChange(PeerId origin, long requestId, Membership target, int timeoutTicks) {
        return changes.startChange(origin, requestId, target, timeoutTicks);
    }

    /**
     * Leaves the current role for a role under {@code next} without an election: a leader
     * that hands its leadership over, or a learner told by its leader to follow (or, as the
     * target, to lead). Safety does not rest on this choice: the next leader goes through
     * discovery as any elected one. Requests bound to txns already committed keep waiting for
     * their delivery (the txn at a committed zxid is settled); the others' outcome is unknown.
     */
    void handOver(PeerId next, String reason) {
        leaveRole(reason);
        LOG.info("node {}: {}; {} {} without an election", config.self(), reason,
                next.equals(config.self()) ? "leading" : "following", next);
        if (next.equals(config.self())) {
            looking.lead(next);
        } else if (!peers.mayFollow()) {
            // Looking clears the openings kept, as following does.
            looking.lookFor("not a member of " + memberships.committed());
        } else {
            looking.follow(next);
        }
    }

    /**
     * A learner's opening that reached this node while it follows: a leader handing over to us
     * told that learner first. Kept (as while looking) in case we lead next.
     */
    void keepEarlyInfo(PeerId from, Message info) {
        looking.keepEarlyInfo(from, info);
    }

    private void onPersisted(long seq) {
        if (!storage.persisted(seq)) {
            return;
        }
        delivery.onPersisted();
        storage.syncedUpTo(seq);
        if (role != null) {
            role.onPersisted();
        } else {
            delivery.deliverUpTo(delivery.lastCommitted()); // committed before we lost our role
        }
    }

    // ---- roles ----

    /** Takes role {@code r} under {@code leader}, elected or handed over. */
    void enter(RoleState state, Role r, PeerId leader) {
        LOG.info("node {}: {} (leader {})", config.self(), r, leader);
        role = state;
        looking.settled(r, leader);
        actions.add(new Action.RoleChanged(r, storage.currentEpoch(), leader));
        state.start();
    }

    /** Leaves the current role: fails what it had in flight and starts an election. */
    void stepDown(String reason) {
        if (role == null) {
            return;
        }
        leaveRole(reason);
        delivery.deliverUpTo(delivery.lastCommitted());
        looking.lookFor(reason);
    }

    /**
     * Leaves the current role. A txn known committed is settled: its request waits for its
     * delivery (a member removed by a change it asked for learns of it so); the others'
     * outcome is unknown.
     */
    private void leaveRole(String reason) {
        RoleState leaving = role;
        role = null;
        leaving.leave();
        requests.roleLeft(delivery.lastCommitted(), reason);
    }

    /**
     * A voter that joins an existing cluster with no currentEpoch may have acknowledged txns
     * before its disk was lost; until a leader has synced it (currentEpoch is saved only after
     * the leader's history is durable here), its empty history must not count in an election.
     */
    public boolean mayVote() {
        return peers.mayVote();
    }

    /** Whether this node learns as an observer: its role in the newest membership it knows. */
    boolean isObserver() {
        return peers.isObserver();
    }

    /** Started blank to join an existing cluster and not synced since (see FOLLOWERINFO). */
    boolean isBlank() {
        return peers.blank();
    }

    /** A voter that may not vote yet (observers never vote and are not said to abstain). */
    public boolean isAbstaining() {
        return looking.abstains();
    }

    /** A member removed by a committed change (not one started to join): it takes no part. */
    public boolean isRemoved() {
        return !peers.mayFollow();
    }

    // ---- services for the roles ----

    public CoreConfig config() {
        return config;
    }

    QuorumVerifier quorum() {
        return memberships.quorum();
    }

    Memberships memberships() {
        return memberships;
    }

    History history() {
        return history;
    }

    /** The history in memory and the log on disk together: what a leader syncs learners from. */
    ServableHistory servable() {
        return servable;
    }

    /** The txn log as this node knows it. */
    LogExtent logExtent() {
        return logExtent;
    }

    /** Asks for {@code maxBytes} of the logged txns after {@code after}, for a learner. */
    void readLog(PeerId learner, Zxid after, long maxBytes) {
        actions.add(new Action.ReadLog(learner, after, maxBytes));
    }

    /**
     * The host may drop the log up to {@code upTo}: the txns at or below it stop counting as
     * logged before the purge is asked for, so every read asked for from now on is of txns the
     * purge keeps, and every read asked for before is served before it (one queue).
     */
    private void onLogPurgeable(Zxid upTo) {
        logExtent.purge(upTo);
        actions.add(new Action.PurgeLog(upTo));
    }

    long ticks() {
        return ticks;
    }

    void send(PeerId to, Message message) {
        actions.add(new Send(to, message));
    }

    /**
     * Rejects a message no honest peer in its role sends: a field outside the range that role
     * may send, or a message out of its place in the conversation. The message has no effect;
     * the connection it came on is closed ({@link Action.Disconnect}); the node keeps running
     * and the calling role decides what else follows (a leader forgets the learner, a learner
     * stops following that leader). Logged at WARN once per connection, then at DEBUG.
     *
     * @param field the field (or the place) that is out of range
     * @param value its value as received
     * @param rule what an honest sender keeps to, for the operator
     */
    void reject(PeerId peer, Message m, String field, Object value, String rule) {
        String type = m.getClass().getSimpleName();
        rejectedMessages++;
        if (rejectLogged.add(peer)) {
            LOG.warn("node {}: rejecting {} from peer {}: {} = {} ({}); closing the connection",
                    config.self(), type, peer, field, value, rule);
        } else {
            LOG.debug("node {}: rejecting {} from peer {}: {} = {} ({})", config.self(), type,
                    peer, field, value, rule);
        }
        actions.add(new Action.Disconnect(peer, type + " " + field + " = " + value + ": "
                + rule));
    }

    void complete(long requestId, Outcome outcome) {
        actions.add(new Complete(requestId, outcome));
    }

    void emit(Action action) {
        actions.add(action);
    }

    /** Appends txns to the history and asks for them to be logged; returns the storage seq. */
    long append(List<Txn> txns) {
        return storage.append(txns);
    }

    long truncateLog(Zxid lastKept) {
        return storage.truncateLog(lastKept);
    }

    /**
     * A snapshot received in part by SNAP: what SNAP announced, and how much of it is durable
     * here. It outlives the role that received it (a link that breaks makes a follower look for
     * its leader again), so that a later SNAP of the same snapshot resumes after it.
     */
    record SnapReceipt(Zxid zxid, long size, int crc, long durable) {
        boolean sameSnapshot(Zxid z, long n, int c) {
            return zxid.equals(z) && size == n && crc == c;
        }
    }

    /** The snapshot received in part, or null. */
    SnapReceipt partialSnap() {
        return storage.partialSnap();
    }

    /** So much of the snapshot SNAP announced is durable here. */
    void snapDurable(Zxid zxid, long size, int crc, long durable) {
        storage.snapDurable(zxid, size, crc, durable);
    }

    /**
     * Appends part of a snapshot being received; returns the storage seq. Offset 0 starts a new
     * one; any other offset continues the partial one after its first {@code offset} bytes.
     */
    long writeSnapshotChunk(Zxid zxid, long offset, byte[] data) {
        return storage.writeSnapshotChunk(zxid, offset, data);
    }

    /** Asks the runtime for a part of a kept snapshot, for a learner. */
    void readSnapshotChunk(PeerId learner, Zxid zxid, long offset, int length) {
        actions.add(new Action.ReadSnapshotChunk(learner, zxid, offset, length));
    }

    /**
     * Installs the snapshot whose chunks were written ({@code size} bytes, CRC32C {@code crc}):
     * the history restarts after it, and the state machine gets it at the next delivery.
     */
    long installSnapshot(Zxid zxid, long size, int crc) {
        return storage.installSnapshot(zxid, size, crc);
    }

    long saveEpoch(long accepted, long current) {
        return storage.saveEpoch(accepted, current);
    }

    long issuedSeq() {
        return storage.issuedSeq();
    }

    boolean isPersisted(long seq) {
        return storage.isPersisted(seq);
    }

    Zxid lastSynced() {
        return storage.lastSynced();
    }

    /** This node's storage as the core drives it. */
    LocalStorage storage() {
        return storage;
    }

    void setCommitted(Zxid zxid) {
        delivery.setCommitted(zxid);
    }

    /**
     * A leader's committed membership, from NEWLEADER: adopted (and saved before the ACK of
     * NEWLEADER, which waits for every earlier storage action) when it is newer than ours, or
     * of the same version with other members (a joiner's static membership is not the one the
     * cluster started with).
     */
    void adoptMembership(Membership leaders) {
        peers.adopt(leaders);
    }

    /** What is committed, delivered and applied here. */
    Delivery delivery() {
        return delivery;
    }

    /**
     * Hands committed txns up to {@code zxid} to the delivery pipeline, never past what is
     * durable here (nothing reaches the host before it is on this node's disk).
     */
    void deliverUpTo(Zxid zxid) {
        delivery.deliverUpTo(zxid);
    }

    void bindRequest(long requestId, Zxid zxid) {
        requests.bind(requestId, zxid);
    }

    /** The role this node is in, or null while looking. */
    RoleState roleState() {
        return role;
    }

    PeerId leaderHint() {
        return role == null ? null : role.leader().orElse(null);
    }

    // ---- status, for the driver and tests ----

    public Role role() {
        return role == null ? Role.LOOKING : role.role();
    }

    /** The epoch this node follows or leads in; its currentEpoch while looking. */
    public long epoch() {
        long e = role == null ? 0 : role.epoch();
        return e > 0 ? e : storage.currentEpoch();
    }

    public Optional<PeerId> leader() {
        return role == null ? Optional.empty() : role.leader();
    }

    /** True for a leader that is established and a learner that got UPTODATE. */
    public boolean isBroadcasting() {
        return role != null && role.broadcasting();
    }

    public long acceptedEpoch() {
        return storage.acceptedEpoch();
    }

    public long currentEpoch() {
        return storage.currentEpoch();
    }

    public Zxid lastLoggedZxid() {
        return history.last();
    }

    public Zxid lastCommittedZxid() {
        return delivery.lastCommitted();
    }

    /** The last zxid handed to the delivery pipeline (it may not have reached the host yet). */
    public Zxid lastDeliveredZxid() {
        return delivery.lastDelivered();
    }

    /** The last zxid the state machine reported applied. */
    public Zxid appliedZxid() {
        return delivery.applied();
    }

    /** The quorum this node counts by now (joint while a membership change is in flight). */
    public QuorumVerifier quorumInForce() {
        return memberships.quorum();
    }

    /** The newest committed membership this node knows. */
    public Membership membership() {
        return memberships.committed();
    }

    /**
     * The membership change in flight as this node knows it (proposed, not known committed), or
     * null.
     */
    public Membership pendingMembership() {
        return memberships.pending();
    }

    /** Where this node stands, in a few words for an operator ("looking" with no role). */
    public String describe() {
        return role == null ? "looking for a leader" : role.describe();
    }

    /** What this node, leading, knows of its learners; empty in other roles. */
    public Map<PeerId, LearnerStatus> learners() {
        return role == null ? Map.of() : role.learners();
    }

    /** Payload bytes a leader proposed that its state machine has not applied; 0 otherwise. */
    public long inflightBytes() {
        return role == null ? 0 : role.inflightBytes();
    }

    /** Local requests waiting for a leader in broadcast. */
    public int awaitingLeader() {
        return requests.awaitingLeader();
    }

    /** Messages rejected as out of range or out of place since start ({@link #reject}). */
    public long rejectedMessages() {
        return rejectedMessages;
    }

    /**
     * The zxid this node's txn log, as the core counts it, starts after: a leader can sync a
     * learner by DIFF from anywhere at or above it (or above its history in memory).
     */
    public Zxid logStart() {
        return logExtent.start();
    }

    /** Payload bytes of the history held in memory. */
    public long historyBytes() {
        return history.bytes();
    }

    /** Payload bytes logged here that the state machine has not applied yet. */
    public long unappliedBytes() {
        return history.bytesAfter(delivery.applied());
    }
}
