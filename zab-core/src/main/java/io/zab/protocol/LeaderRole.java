package io.zab.protocol;

import io.zab.LearnerStatus;
import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.LearnerProgress.State;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SyncRequest;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import io.zab.protocol.quorum.Tally;
import io.zab.protocol.sync.SyncMode;
import io.zab.protocol.sync.SyncPlan;
import io.zab.protocol.sync.SyncPlanner;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader, from election to broadcast (Zab 1.0 as ZooKeeper runs it):
 * <ol>
 *   <li>discovery: FOLLOWERINFO from a quorum, then an epoch above every acceptedEpoch seen,
 *       made durable before LEADERINFO leaves (ZOOKEEPER-1291);</li>
 *   <li>synchronization: after ACKEPOCH from a quorum (none of them ahead of us), currentEpoch is
 *       saved and each learner gets DIFF, TRUNC or SNAP and NEWLEADER; once a quorum (us included,
 *       after our own save) acked NEWLEADER, the whole history is committed and UPTODATE
 *       goes out;</li>
 *   <li>broadcast: PROPOSAL, cumulative ACK, cumulative COMMIT once a quorum (our own durable
 *       append included) holds a zxid; INFORM to observers.</li>
 * </ol>
 * A learner arriving late goes through the same steps against the established history. A
 * follower that abstains (blank, joining an existing cluster: RELIABILITY S26) is synced like
 * any other but never counted in discovery; once it acks NEWLEADER it holds our history durably
 * and counts like any follower.
 *
 * <p>This class owns the phase and the learners, dispatches every message and event, and
 * counts quorums and commits. Each other piece of the leader's state has one home among its
 * parts, which reach the learners and the phase through this class: {@link LearnerFeed} (what
 * learners are streamed, from memory or the log), {@link SnapTransfers} (SNAP sync),
 * {@link Origins} (who forwarded a txn), {@link Admission} (the in-flight budget),
 * {@link LeaderChange} (membership change and leadership transfer) and {@link SyncReads}
 * (sync() and the PING rounds). Single-threaded: the protocol thread, through {@link ZabCore}.
 */
final class LeaderRole implements RoleState {
    /**
     * The logger of the leader and of the classes it delegates to, all under this one name:
     * tests read its lines by it (zab-examples' SyncLog).
     */
    static final Logger LOG = LoggerFactory.getLogger(LeaderRole.class);

    private enum Phase { DISCOVERY, SYNCHRONIZATION, BROADCAST }

    /**
     * The highest epoch a leader proposes. The top of the 32-bit range is never proposed: a
     * leader proposes one above every acceptedEpoch it hears of, so an acceptedEpoch at or
     * above this leaves it nothing to propose. No honest node gets near it (4 billion
     * elections), so a learner that reports one is rejected rather than obeyed.
     */
    static final long EPOCH_MAX = Zxid.MAX_PART - 1;

    private final ZabCore core;
    private final PeerId self;
    /** The quorum arithmetic of every step: who counts, and what a quorum holds. */
    private Tally tally;
    /** The quorum {@link #tally} counts by; a membership change brings another. */
    private io.zab.protocol.quorum.QuorumVerifier tallyQuorum;
    private final Map<PeerId, LearnerProgress> learners = new TreeMap<>();
    private Phase phase = Phase.DISCOVERY;
    private long epoch;
    private long epochSeq = -1;
    private boolean epochAnnounced;
    private long selfReadySeq = -1;
    private long phaseStartTick;
    private boolean left;
    /** The tick this epoch's zxid counter ran out, or -1. */
    private long exhaustedTick = -1;

    // The parts this leader delegates to, each the one home of its piece of the leader's state;
    // the learners and the phase stay here, and they reach them through the methods below.
    private final Origins origins = new Origins();
    private final LearnerFeed feed;
    private final SnapTransfers snaps;
    private final SyncReads syncReads;
    private final Admission admission;
    private final LeaderChange changes;

    LeaderRole(ZabCore core) {
        this.core = core;
        this.self = core.config().self();
        this.feed = new LearnerFeed(core, this, origins);
        this.snaps = new SnapTransfers(core, this, feed);
        this.syncReads = new SyncReads(core, this);
        this.admission = new Admission(core, this);
        this.changes = new LeaderChange(core, this, admission);
    }

    // ---- for the parts: the learners and the phase ----

    /** The learner {@code id}, or null when it is not connected to us. */
    LearnerProgress learner(PeerId id) {
        return learners.get(id);
    }

    /** The learners connected to us, in id order (a live view: copy it to drop some). */
    java.util.Collection<LearnerProgress> learnerProgress() {
        return learners.values();
    }

    /** Forgets learner {@code id}: it starts over with FOLLOWERINFO when it comes back. */
    void drop(PeerId id) {
        learners.remove(id);
    }

    /** Whether this leader stepped down or handed over: it leads no more. */
    boolean hasLeft() {
        return left;
    }

    /** The voter this leader is handing its leadership to, or null. */
    PeerId transferTarget() {
        return changes.transferTarget();
    }

    /** A learner's SNAP made progress: during synchronization, that is progress of the phase. */
    void syncProgressed() {
        if (phase != Phase.BROADCAST) {
            phaseStartTick = core.ticks();
        }
    }

    /** The tally of the quorum in force now (joint while a membership change is in flight). */
    private Tally tally() {
        io.zab.protocol.quorum.QuorumVerifier q = core.quorum();
        if (q != tallyQuorum) {
            tally = new Tally(q);
            tallyQuorum = q;
        }
        return tally;
    }

    @Override
    public Role role() {
        return Role.LEADING;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public Optional<PeerId> leader() {
        return Optional.of(self);
    }

    @Override
    public boolean broadcasting() {
        return phase == Phase.BROADCAST;
    }

    @Override
    public boolean admitting() {
        return phase == Phase.BROADCAST && changes.transferTarget() == null
                && exhaustedTick < 0;
    }

    @Override
    public String describe() {
        Membership committed = core.memberships().committed();
        int voters = committed.voters().size();
        // Only committed voters in broadcast count toward serving a quorum: not observers, nor
        // the new voters of a change being staged (they would make it "4 of 3").
        long inBroadcast = learners.values().stream()
                .filter(p -> committed.isVoter(p.id)
                        && p.state == LearnerProgress.State.BROADCAST).count()
                + (committed.isVoter(self) ? 1 : 0);
        PeerId transferTarget = changes.transferTarget();
        return switch (phase) {
            case DISCOVERY -> "leading epoch " + epoch + ": discovery, " + learners.size()
                    + " learner(s) connected, waiting for a quorum of " + voters + " voters";
            case SYNCHRONIZATION -> "leading epoch " + epoch + ": synchronizing "
                    + learners.size() + " learner(s), waiting for a quorum to ack NEWLEADER";
            case BROADCAST -> "leading epoch " + epoch + ": " + inBroadcast + " of " + voters
                    + " voters in broadcast" + (transferTarget == null ? ""
                            : "; handing leadership to " + transferTarget);
        };
    }

    @Override
    public Map<PeerId, LearnerStatus> learners() {
        Zxid last = core.lastLoggedZxid();
        Map<PeerId, LearnerStatus> out = new TreeMap<>();
        for (LearnerProgress p : learners.values()) {
            Zxid acked = p.ackedZxid;
            out.put(p.id, new LearnerStatus(p.observer, p.phase(), acked, Lag.txns(acked, last)));
        }
        return out;
    }

    @Override
    public long inflightBytes() {
        return admission.inflightBytes();
    }

    @Override
    public void start() {
        phaseStartTick = core.ticks();
        maybeChooseEpoch();
    }

    @Override
    public void onMessage(PeerId from, Message m) {
        if (m instanceof FollowerInfo fi) {
            onLearnerInfo(from, m, false, fi.acceptedEpoch(), fi.lastZxid(), fi.abstains());
            return;
        }
        if (m instanceof ObserverInfo oi) {
            onLearnerInfo(from, m, true, oi.acceptedEpoch(), oi.lastZxid(), false);
            return;
        }
        LearnerProgress p = learners.get(from);
        if (p == null) {
            LOG.debug("node {}: {} from {} which is not our learner; ignored", self, m, from);
            return;
        }
        p.lastHeardTick = core.ticks();
        if (!inRange(p, m)) {
            return;
        }
        if (m instanceof Ack a) {
            onAck(p, a.zxid());
        } else if (m instanceof Request r) {
            admission.onRequest(p, r);
        } else if (m instanceof PingAck pa) {
            syncReads.onPingAck(p, pa);
        } else if (m instanceof AckEpoch ae) {
            onAckEpoch(p, ae);
        } else if (m instanceof AckNewLeader anl) {
            onAckNewLeader(p, anl);
        } else if (m instanceof SnapAck sa) {
            snaps.onSnapAck(p, sa);
        } else if (m instanceof SyncRequest sr) {
            syncReads.onSyncRequest(p, sr.requestId());
        } else if (m instanceof io.zab.protocol.message.ChangeRequest cr) {
            changes.onChangeRequest(p, cr);
        } else {
            reject(p.id, m, "type", m.getClass().getSimpleName(), "only a leader sends it");
        }
    }

    /**
     * Rejects what no honest learner sends (issue 18): the message has no effect, the learner
     * is forgotten and its connection closed; it starts over with FOLLOWERINFO.
     */
    void reject(PeerId from, Message m, String field, Object value, String rule) {
        core.reject(from, m, field, value, rule);
        learners.remove(from);
    }

    /**
     * Range checks of the broadcast messages, before their handlers: an ACK only of this
     * epoch and of what the learner was sent, a PINGACK only of a round we pinged. An ACK from a
     * learner that does not count yet is left to {@link #onAck}, which ignores it.
     */
    private boolean inRange(LearnerProgress p, Message m) {
        if (m instanceof Ack a && (p.observer ? p.streaming() && p.state != State.SYNC_SENT
                : p.acking())) {
            Zxid z = a.zxid();
            if (z.epoch() != epoch || z.isAfter(p.sentZxid)) {
                reject(p.id, m, "zxid", z, "an ACK names a txn of epoch " + epoch
                        + " sent to it, at most " + p.sentZxid);
                return false;
            }
        } else if (m instanceof PingAck pa && pa.epoch() == epoch
                && pa.round() > syncReads.pingRound()) {
            reject(p.id, m, "round", pa.round(), "a PINGACK answers a PING, at most round "
                    + syncReads.pingRound());
            return false;
        }
        return true;
    }

    // ---- discovery ----

    private void onLearnerInfo(PeerId from, Message m, boolean observer, long accepted,
            Zxid last, boolean abstains) {
        if (!core.memberships().mayLearnAs(from, observer)) {
            // Honest when it knows a membership we do not (a change it saw that our history
            // lacks, or the other way round): it learns in the role it asks for and counts
            // only as our quorum says; our NEWLEADER then tells it the membership.
            LOG.info("node {}: {} asks to learn as {}, not its role in {}; it learns so and"
                    + " counts as our quorum says", self, from, observer ? "an observer"
                    : "a follower", core.memberships());
        }
        if (accepted >= EPOCH_MAX) {
            // One above it is the least we could propose: 0xFFFFFFFF would halt us, and
            // 0xFFFFFFFE every leader after us.
            reject(from, m, "acceptedEpoch", accepted, "below " + EPOCH_MAX + ", the highest"
                    + " epoch a leader proposes");
            return;
        }
        if (last.epoch() > accepted) {
            reject(from, m, "lastZxid", last, "no txn of an epoch above its acceptedEpoch "
                    + accepted);
            return;
        }
        LearnerProgress p = new LearnerProgress(from, observer, abstains, accepted, last,
                core.ticks());
        learners.put(from, p);
        if (epochAnnounced) {
            sendLeaderInfo(p);
        } else {
            maybeChooseEpoch();
        }
    }

    private void maybeChooseEpoch() {
        if (epochSeq >= 0) {
            return;
        }
        long maxAccepted = core.acceptedEpoch();
        for (LearnerProgress p : learners.values()) {
            maxAccepted = Math.max(maxAccepted, p.acceptedEpoch);
        }
        // A blank joiner's acceptedEpoch forgets what it promised before its disk was lost; it
        // cannot vouch for the new epoch being above every established one.
        if (!quorumOf(p -> !p.abstains)) {
            return;
        }
        if (maxAccepted + 1 > EPOCH_MAX) {
            // Our own acceptedEpoch is at the top (learners above it are rejected): we cannot
            // lead. Discovery times out and another node may; no honest history gets here.
            LOG.error("node {}: cannot propose an epoch above acceptedEpoch {}: the epoch"
                    + " space is exhausted", self, maxAccepted);
            return;
        }
        epoch = maxAccepted + 1;
        // LEADERINFO promises we will never lead a lower epoch: make it durable first.
        epochSeq = core.saveEpoch(epoch, core.currentEpoch());
        LOG.info("node {}: proposing epoch {}", self, epoch);
        onPersisted();
    }

    private void sendLeaderInfo(LearnerProgress p) {
        p.state = State.EPOCH_SENT;
        core.send(p.id, new LeaderInfo(epoch));
    }

    private void onAckEpoch(LearnerProgress p, AckEpoch ae) {
        // An ACKEPOCH of an epoch below ours, or, before we sent ours, of one we accepted
        // already, answers a LEADERINFO of ours from before we led anew on the same link: the
        // learner acks the one we send now next (FollowerRole). Random simulation seeds 601516
        // (after our LEADERINFO) and 604345 (before it) dropped honest learners for it.
        boolean stale = p.state == State.EPOCH_SENT ? ae.epoch() < epoch
                : p.state == State.INFO && ae.epoch() <= core.acceptedEpoch();
        if (stale) {
            LOG.debug("node {}: stale ACKEPOCH {} from {} (we propose {}); ignored", self,
                    ae.epoch(), p.id, epoch);
            return;
        }
        if (p.state != State.EPOCH_SENT) {
            reject(p.id, ae, "state", p.state, "ACKEPOCH answers our one LEADERINFO");
            return;
        }
        if (ae.epoch() != epoch) {
            reject(p.id, ae, "epoch", ae.epoch(), "the epoch we proposed, " + epoch);
            return;
        }
        // A learner saves the epoch before it acks it; it has no txn of a later one.
        if (ae.currentEpoch() > ae.epoch() || ae.lastZxid().epoch() > ae.epoch()) {
            reject(p.id, ae, "currentEpoch/lastZxid", ae.currentEpoch() + "/" + ae.lastZxid(),
                    "neither above the epoch acknowledged, " + ae.epoch());
            return;
        }
        if (p.observer && isAhead(ae.currentEpoch(), ae.lastZxid())) {
            // An observer holds only committed txns, which the leader the voters chose has.
            reject(p.id, ae, "currentEpoch/lastZxid", ae.currentEpoch() + "/" + ae.lastZxid(),
                    "an observer is never ahead of its leader");
            return;
        }
        if (isAhead(ae.currentEpoch(), ae.lastZxid())
                && core.memberships().committed().isVoter(p.id)) {
            // The election picked a node missing txns a quorum member has: leading would lose
            // them. Start over, so that a better candidate can win. A learner that is no voter
            // of the committed membership holds nothing committed we lack, and its extra txns
            // are cut by TRUNC: not an observer or a joiner, nor a voter that a change in
            // flight adds (it cannot be elected, so stepping down would only elect us again).
            // Every txn committed at this membership is held by a quorum of its voters (a txn
            // proposed while a change is in flight by a joint quorum, and nothing is proposed
            // after a change until it commits), and our discovery quorum meets that quorum.
            core.stepDown("learner " + p.id + " is ahead (currentEpoch " + ae.currentEpoch()
                    + ", last zxid " + ae.lastZxid() + ")");
            return;
        }
        p.state = State.EPOCH_ACKED;
        p.currentEpoch = ae.currentEpoch();
        p.lastZxid = ae.lastZxid();
        if (phase == Phase.DISCOVERY) {
            maybeStartSync();
        } else if (!p.observer || phase == Phase.BROADCAST) {
            syncLearner(p);
        }
    }

    private boolean isAhead(long theirEpoch, Zxid theirLast) {
        if (phase != Phase.DISCOVERY) {
            // Our history is the established one; ahead-ness was settled by the quorum.
            return theirEpoch > epoch;
        }
        long ours = core.currentEpoch();
        return theirEpoch > ours
                || (theirEpoch == ours && theirLast.isAfter(core.lastLoggedZxid()));
    }

    private void maybeStartSync() {
        if (!quorumOf(p -> p.state == State.EPOCH_ACKED && !p.abstains)) {
            return;
        }
        phase = Phase.SYNCHRONIZATION;
        phaseStartTick = core.ticks();
        selfReadySeq = core.saveEpoch(epoch, epoch);
        LOG.info("node {}: synchronizing epoch {} from history ending {}", self, epoch,
                core.lastLoggedZxid());
        for (LearnerProgress p : List.copyOf(learners.values())) {
            if (p.state == State.EPOCH_ACKED && !p.observer) {
                syncLearner(p);
            }
        }
    }

    // ---- synchronization ----

    /**
     * DIFF, TRUNC or SNAP, planned on our history in memory and our log on disk together. What
     * the learner lacks from the history in memory goes out as today: all of it, then
     * NEWLEADER. What only the log holds goes after NEWLEADER instead
     * ({@link LearnerFeed#streamFromLog}), within the learner's window; a learner takes only
     * txns of our epoch there, so one that lacks older txns only the log holds gets SNAP.
     */
    private void syncLearner(LearnerProgress p) {
        ServableHistory servable = core.servable();
        Zxid end = feed.streamEnd(p);
        SyncPlan plan = SyncPlanner.plan(servable, p.lastZxid);
        if (plan.mode() != SyncMode.SNAP && plan.from().isAfter(end)) {
            plan = new SyncPlan(SyncMode.TRUNC, end);
        }
        boolean fromLog = plan.mode() != SyncMode.SNAP && servable.onlyInLog(plan.from());
        if (fromLog && !followsNewLeader(plan.from())) {
            LOG.info("node {}: learner {} (its last {}) lacks txns of an epoch before {} that"
                    + " only our log holds ({}); they would have to precede NEWLEADER, outside"
                    + " any window: SNAP", self, p.id, p.lastZxid, epoch, core.logExtent());
            plan = new SyncPlan(SyncMode.SNAP, null);
            fromLog = false;
        }
        if (fromLog && p.abstains) {
            // It votes again once it saves our epoch on NEWLEADER: it must hold our history
            // by then (RELIABILITY S26), not get the rest after it.
            LOG.info("node {}: learner {} (its last {}) abstains until synced; what it lacks"
                    + " only our log holds and would follow NEWLEADER: SNAP", self, p.id,
                    p.lastZxid);
            plan = new SyncPlan(SyncMode.SNAP, null);
            fromLog = false;
        }
        LOG.info("node {}: {} for learner {} (its last {}, our history {}..{}{})", self,
                plan.mode(), p.id, p.lastZxid, core.history().base(), end,
                fromLog ? ", the older part from our " + core.logExtent() : "");
        if (plan.mode() == SyncMode.SNAP) {
            snaps.take(p);
            return;
        }
        if (plan.mode() == SyncMode.DIFF) {
            core.send(p.id, new Diff(epoch, end));
        } else {
            core.send(p.id, new Trunc(epoch, plan.from()));
        }
        if (fromLog) {
            feed.streamFromLog(p, plan.from());
        } else {
            feed.streamTxns(p, plan.from(), end);
        }
    }

    /**
     * Whether every txn after {@code from} may follow NEWLEADER: in broadcast, a learner takes
     * only txns of our epoch after NEWLEADER, so the txn right after it must be of our epoch
     * (and, epochs rising, all later ones are). That also keeps what currentEpoch means: a
     * learner saves our epoch on NEWLEADER, and then holds every txn of an earlier epoch we
     * hold, our whole initial history, as discovery assumes of a node with that currentEpoch.
     * Never during synchronization: we have no txn of our epoch yet, and the NEWLEADER a quorum
     * acks must cover our whole initial history.
     */
    private boolean followsNewLeader(Zxid from) {
        Zxid next = core.servable().next(from);
        return phase == Phase.BROADCAST && next != null && next.epoch() == epoch;
    }

    // Storage answers for one learner's sync: snapshots (SnapTransfers), log reads (LearnerFeed).

    @Override
    public void onSnapshotReady(PeerId learner, Zxid zxid, long size, int crc) {
        snaps.onSnapshotReady(learner, zxid, size, crc);
    }

    @Override
    public void onSnapshotFailed(PeerId learner, Zxid zxid, String reason) {
        snaps.onSnapshotFailed(learner, zxid, reason);
    }

    @Override
    public void onSnapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) {
        snaps.onSnapshotChunk(learner, zxid, offset, data);
    }

    @Override
    public void onLogRead(PeerId learner, Zxid after, List<Txn> txns) {
        feed.onLogRead(learner, after, txns);
    }

    @Override
    public void onLogReadFailed(PeerId learner, Zxid after, String reason) {
        feed.onLogReadFailed(learner, after, reason);
    }

    @Override
    public Zxid historyPin() {
        return feed.historyPin();
    }

    private void onAckNewLeader(LearnerProgress p, AckNewLeader a) {
        if (p.state != State.SYNC_SENT || a.epoch() != epoch
                || !a.zxid().equals(p.newLeaderZxid)) {
            reject(p.id, a, "state/epoch/zxid", p.state + "/" + a.epoch() + "/" + a.zxid(),
                    "it answers the NEWLEADER sent: " + epoch + "/" + p.newLeaderZxid);
            return;
        }
        p.state = State.SYNCED;
        p.ackedZxid = a.zxid();
        if (phase == Phase.BROADCAST) {
            p.state = State.BROADCAST;
            core.send(p.id, new UpToDate(epoch, core.lastCommittedZxid()));
            advanceCommit();
        } else {
            maybeEstablish();
        }
    }

    private void maybeEstablish() {
        if (phase != Phase.SYNCHRONIZATION || !core.isPersisted(selfReadySeq)) {
            return;
        }
        if (!quorumOf(LearnerProgress::acking)) {
            return;
        }
        phase = Phase.BROADCAST;
        Zxid initial = core.lastLoggedZxid();
        core.setCommitted(initial);
        LOG.info("node {}: established as leader of epoch {} (history ends {})", self, epoch,
                initial);
        for (LearnerProgress p : learners.values()) {
            if (p.state == State.SYNCED) {
                p.state = State.BROADCAST;
                core.send(p.id, new UpToDate(epoch, initial));
            }
        }
        core.deliverUpTo(initial);
        for (LearnerProgress p : List.copyOf(learners.values())) {
            if (p.observer && p.state == State.EPOCH_ACKED) {
                syncLearner(p);
            }
        }
    }

    // ---- broadcast: admission ----

    @Override
    public void onSubmit(long requestId, byte[] payload, int waitTicks) {
        admission.onSubmit(requestId, payload, waitTicks);
    }

    @Override
    public void onApplied() {
        admission.onApplied();
    }

    // ---- broadcast: proposals, acks, commits ----

    /** The zxid of the next proposal, or null when this epoch's counter is used up. */
    Zxid nextZxid() {
        Zxid last = core.lastLoggedZxid();
        long counter = last.epoch() == epoch ? last.counter() + 1 : 1;
        return counter > core.config().zxidCounterMax() ? null : new Zxid(epoch, counter);
    }

    /**
     * Proposes a write that the budget admitted, or refuses it if the zxids are used up; the
     * leader then admits nothing more and steps down once what it proposed has committed.
     */
    void propose(byte[] payload, PeerId origin, long requestId) {
        Zxid zxid = nextZxid();
        if (zxid == null) {
            // ZOOKEEPER-1277: never wrap into the epoch bits; a new epoch restarts the counter.
            if (origin.equals(self)) {
                core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                        "zxid counter exhausted; electing a new epoch"));
            } else {
                core.send(origin, new RequestRefused(requestId, RequestRefused.Reason.NOT_LEADER));
            }
            onCounterExhausted();
            return;
        }
        proposeTxn(new Txn(zxid, payload), origin, requestId);
    }

    /** Proposes {@code txn}: logged, charged to the budget, sent to learners level with it. */
    void proposeTxn(Txn txn, PeerId origin, long requestId) {
        Zxid last = core.lastLoggedZxid();
        core.append(List.of(txn));
        admission.charge(txn);
        if (origin.equals(self)) {
            core.bindRequest(requestId, txn.zxid());
        } else {
            origins.add(txn.zxid(), origin, requestId);
            LearnerProgress p = learners.get(origin);
            if (p != null) {
                p.forwarded = true;
            }
        }
        feed.sendProposal(last, txn,
                new Proposal(txn, origin.equals(self) ? null : origin, requestId));
    }

    private void onAck(LearnerProgress p, Zxid zxid) {
        if (p.observer) {
            // An observer's ACK only opens its window: it never counts toward a commit.
            if (p.streaming() && p.state != State.SYNC_SENT && zxid.epoch() == epoch
                    && !zxid.isAfter(core.lastCommittedZxid())) {
                p.acknowledged(zxid);
                if (!feed.fill(p)) {
                    learners.remove(p.id);
                }
            }
            return;
        }
        if (!p.acking() || zxid.epoch() != epoch || zxid.isAfter(core.lastLoggedZxid())) {
            LOG.debug("node {}: ACK {} from {} ({}) ignored", self, zxid, p.id, p.state);
            return;
        }
        if (zxid.isAfter(p.ackedZxid)) {
            p.ackedZxid = zxid;
            p.acknowledged(zxid);
            advanceCommit();
            if (left) {
                return; // handed over: this node leads no more
            }
            if (learners.get(p.id) == p && !feed.fill(p)) {
                learners.remove(p.id);
            }
        }
    }

    /** Commits the highest zxid of this epoch that a quorum holds durably. */
    private void advanceCommit() {
        if (phase != Phase.BROADCAST) {
            return;
        }
        Tally tally = tally();
        tally.clear().hold(self, core.lastSynced());
        for (LearnerProgress p : learners.values()) {
            if (p.acking()) {
                tally.hold(p.id, p.ackedZxid);
            }
        }
        // Only a txn of this epoch commits by counting; older ones commit with it.
        Zxid best = tally.highest();
        if (best != null && best.epoch() == epoch && best.isAfter(core.lastCommittedZxid())) {
            commit(best);
        }
        // Followers may commit a txn before our own copy is durable; it is delivered here only
        // once it is, so delivery also follows our own log writer.
        core.deliverUpTo(core.lastCommittedZxid());
        syncReads.completeSyncs();
        changes.maybeHandOver();
        stepDownIfExhaustedAndDone();
    }

    /**
     * This epoch's zxids are used up (ZOOKEEPER-1277): nothing more is admitted, and the leader
     * steps down once what it proposed has committed.
     */
    void onCounterExhausted() {
        if (exhaustedTick < 0) {
            exhaustedTick = core.ticks();
            LOG.info("node {}: zxid counter of epoch {} exhausted; admitting nothing more,"
                    + " stepping down once what was proposed has committed", self, epoch);
        }
        stepDownIfExhaustedAndDone();
    }

    /**
     * With the counter used up, leaves once every proposal has committed (stepping down at
     * once would leave their writers OUTCOME_UNKNOWN, and with a backlog of a counter's worth
     * at every new leader no write would ever be acknowledged), or after syncLimit at most.
     */
    private void stepDownIfExhaustedAndDone() {
        if (exhaustedTick >= 0 && !left
                && (!core.lastCommittedZxid().isBefore(core.lastLoggedZxid())
                        || core.ticks() - exhaustedTick > core.config().syncLimitTicks())) {
            core.stepDown("zxid counter of epoch " + epoch + " exhausted");
        }
    }

    private void commit(Zxid best) {
        core.setCommitted(best);
        feed.onCommitted(best);
    }

    /** Whether this leader and the learners that pass {@code test} form a quorum. */
    boolean quorumOf(java.util.function.Predicate<LearnerProgress> test) {
        Tally tally = tally().clear().count(self);
        for (LearnerProgress p : learners.values()) {
            if (test.test(p)) {
                tally.count(p.id);
            }
        }
        return tally.reached();
    }

    // ---- membership change and leadership transfer (LeaderChange), for the core ----

    /** Whether a leadership transfer runs (a membership change then waits). */
    boolean transferring() {
        return changes.transferTarget() != null;
    }

    /** Stages the change the core put in {@code Memberships.staging()} (checked there). */
    void startChange(PeerId origin, long requestId, long deadlineTick) {
        changes.startChange(origin, requestId, deadlineTick);
    }

    /** Starts handing leadership to {@code target}; returns why it cannot start, or null. */
    String startTransfer(PeerId target) {
        return changes.startTransfer(target);
    }

    /** Gives up a transfer that has not handed over yet; true if one was running. */
    boolean abortTransfer() {
        return changes.abortTransfer();
    }

    /**
     * The membership changed: learners no longer in it, or now in another role, are dropped
     * (they come back in their new role, or not at all), commits are counted by the new quorum,
     * and a leader that is no longer a voter hands its leadership to the new voter that holds
     * most of its log.
     */
    @Override
    public void onMembershipChanged() {
        if (left) {
            return;
        }
        Memberships ms = core.memberships();
        io.zab.Membership committed = ms.committed();
        for (Iterator<LearnerProgress> it = learners.values().iterator(); it.hasNext();) {
            LearnerProgress p = it.next();
            boolean roleChanged = committed.contains(p.id)
                    && p.observer != committed.isObserver(p.id);
            if (!ms.knows(p.id) || roleChanged) {
                LOG.info("node {}: learner {} is {} in {}; dropping it", self, p.id,
                        roleChanged ? "in another role" : "no member", committed);
                it.remove();
            }
        }
        if (phase != Phase.BROADCAST) {
            return;
        }
        if (!changes.onMembershipChanged()) {
            return;
        }
        advanceCommit();
        admission.admitAwaiting(); // writes held while the change was in flight
    }

    // ---- sync() and liveness ----

    @Override
    public void onSyncRead(long requestId) {
        syncReads.onSyncRead(requestId);
    }

    @Override
    public void onHeard(java.util.Set<PeerId> peers) {
        for (PeerId id : peers) {
            LearnerProgress p = learners.get(id);
            if (p != null) {
                p.lastHeardTick = core.ticks();
            }
        }
    }

    @Override
    public void onTick() {
        long now = core.ticks();
        int syncLimit = core.config().syncLimitTicks();
        learners.values().removeIf(p -> {
            boolean silent = now - p.lastHeardTick > syncLimit;
            if (silent) {
                LOG.info("node {}: learner {} silent for {} ticks; dropping it", self, p.id,
                        syncLimit);
            }
            return silent;
        });
        snaps.refillSnapCredit();
        if (phase != Phase.BROADCAST) {
            if (now - phaseStartTick > core.config().initLimitTicks()) {
                core.stepDown(phase + " did not complete within initLimit");
            } else {
                syncReads.pingAll();
            }
            return;
        }
        if (!quorumOf(LearnerProgress::acking)) {
            core.stepDown("lost the quorum of followers");
            return;
        }
        if (!changes.onTick(now)) {
            return;
        }
        admission.expire(now);
        stepDownIfExhaustedAndDone();
        if (left) {
            return;
        }
        syncReads.pingNewRound();
    }

    @Override
    public void onPersisted() {
        if (epochSeq >= 0 && !epochAnnounced && core.isPersisted(epochSeq)) {
            epochAnnounced = true;
            for (LearnerProgress p : learners.values()) {
                sendLeaderInfo(p);
            }
        }
        if (phase == Phase.DISCOVERY && epochAnnounced) {
            // With one voter no ACKEPOCH ever comes: our own durable epoch is the quorum.
            maybeStartSync();
        }
        if (phase == Phase.SYNCHRONIZATION) {
            maybeEstablish();
        } else if (phase == Phase.BROADCAST) {
            advanceCommit();
        }
    }

    @Override
    public void onDisconnected(PeerId peer) {
        if (learners.remove(peer) != null) {
            LOG.info("node {}: connection to learner {} lost", self, peer);
        }
    }

    @Override
    public void leave() {
        left = true;
        changes.leave();
        admission.handHeldToNextLeader();
        syncReads.leave();
    }
}
