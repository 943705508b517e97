package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import io.zab.protocol.message.SyncReply;
import io.zab.protocol.message.SyncRequest;
import io.zab.protocol.message.Takeover;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import io.zab.protocol.sync.SyncMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A learner (follower, or observer when the node is one) of one leader, from FOLLOWERINFO to
 * broadcast. Its durability rules are the point of the design (STYLE.md B1.2):
 * ACKEPOCH leaves only once acceptedEpoch is durable; the ACK of NEWLEADER only once every
 * DIFF/TRUNC/SNAP effect and then currentEpoch are durable, in that order (ZOOKEEPER-3911,
 * -4643, -4785); an ACK only for what the log writer reported durable, and never before the ACK
 * of NEWLEADER (ZOOKEEPER-4685); nothing is delivered before UPTODATE (ZOOKEEPER-3642: a half
 * sync leaves no state behind).
 */
final class FollowerRole implements RoleState {
    private static final Logger LOG = LoggerFactory.getLogger(FollowerRole.class);

    private enum Phase { DISCOVERY, SYNCHRONIZATION, BROADCAST }

    private final ZabCore core;
    private final PeerId leader;
    private final boolean observer;
    private Phase phase = Phase.DISCOVERY;
    private long leaderEpoch;
    private long ackEpochSeq = -1;
    private SyncMode syncMode;
    private Zxid newLeaderZxid;
    private long newLeaderSeq = -1;
    private boolean newLeaderAcked;
    private boolean upToDate;
    private Zxid commitWatermark = Zxid.ZERO;
    /** The snapshot being received by SNAP, and what of it was written: (seq, end offset). */
    private Zxid snapZxid;
    private long snapSize;
    private int snapCrc;
    private long snapReceived;
    private final java.util.ArrayDeque<long[]> snapWrites = new java.util.ArrayDeque<>();
    private Zxid lastAckSent = Zxid.ZERO;
    /** The leader's commit point at its latest PING of our epoch, for the status only. */
    private Zxid leaderCommitted = Zxid.ZERO;
    private long ticksInRole;
    private long ticksSinceLeader;
    /**
     * Requests forwarded and not yet proposed or refused, with their payload bytes: at most the
     * leader's own in-flight budget, so one follower cannot flood the leader with REQUESTs.
     */
    private final Map<Long, Integer> forwarded = new LinkedHashMap<>();
    private long forwardedBytes;
    /** Writes waiting, within their wait, for room to be forwarded. */
    private final HeldRequests awaitingForward = new HeldRequests();
    /**
     * The tick in which the leader last refused a request for lack of room: until the next
     * tick, untimed writes fail here at once instead of making a round trip to be refused.
     */
    private long refusedTick = -1;
    /** sync() requests: id to the zxid to deliver up to (null until the leader replied). */
    private final Map<Long, Zxid> syncs = new TreeMap<>();

    FollowerRole(ZabCore core, PeerId leader) {
        this.core = core;
        this.leader = leader;
        this.observer = core.isObserver();
    }

    @Override
    public Role role() {
        return observer ? Role.OBSERVING : Role.FOLLOWING;
    }

    @Override
    public long epoch() {
        return leaderEpoch;
    }

    @Override
    public Optional<PeerId> leader() {
        return Optional.of(leader);
    }

    @Override
    public boolean broadcasting() {
        return upToDate;
    }

    @Override
    public String describe() {
        String who = (observer ? "observing " : "following ") + leader;
        if (upToDate) {
            long behind = Lag.txns(core.lastDeliveredZxid(), leaderCommitted);
            return who + " in broadcast, " + (behind == 0 ? "up to date with"
                    : String.format("%,d txns behind", behind)) + " the leader's commit point"
                    + " at its last PING";
        }
        if (syncMode == null) {
            return who + ": discovery, waiting for the leader's "
                    + (leaderEpoch == 0 ? "epoch" : "sync");
        }
        if (syncMode == SyncMode.SNAP && snapSize > 0 && snapZxid != null) {
            return who + ": syncing by SNAP " + snapReceived * 100 / snapSize + "% ("
                    + snapReceived + " of " + snapSize + " bytes)";
        }
        return who + ": syncing by " + syncMode + (newLeaderZxid != null
                ? ", NEWLEADER " + newLeaderZxid + (newLeaderAcked ? " acked" : "") : "");
    }

    @Override
    public void start() {
        long accepted = core.acceptedEpoch();
        Zxid last = core.lastLoggedZxid();
        // Only a blank node's promises are void. One that votes only in a change it has not
        // seen yet has durable ones, and a leader that holds the change needs them: counted as
        // abstaining, the new voters could never make a quorum of it (seed 410730: a leader lost
        // right after proposing a change to two new voters wedged the ensemble for good).
        core.send(leader, observer ? new ObserverInfo(accepted, last)
                : new FollowerInfo(accepted, last, core.isBlank()));
    }

    @Override
    public void onMessage(PeerId from, Message m) {
        if (!from.equals(leader)) {
            if (m instanceof FollowerInfo || m instanceof ObserverInfo) {
                // Our leader may be handing over to us and told this learner first.
                core.keepEarlyInfo(from, m);
            }
            LOG.debug("node {}: ignoring {} from {}, not our leader {}", self(), m, from, leader);
            return;
        }
        ticksSinceLeader = 0;
        if (m instanceof Proposal p) {
            onProposal(p);
        } else if (m instanceof Commit c) {
            onCommit(c);
        } else if (m instanceof Ping p) {
            if (phase == Phase.SYNCHRONIZATION && syncMode == null) {
                // The leader lives and is still preparing our sync (a large snapshot takes
                // seconds to write): the sync's timeout counts progress, not the whole wait.
                ticksInRole = 0;
            }
            if (p.epoch() == leaderEpoch) {
                leaderCommitted = Zxid.max(leaderCommitted, p.committed());
            }
            core.send(leader, new PingAck(p.epoch(), p.round()));
        } else if (m instanceof Inform i) {
            onInform(i);
        } else if (m instanceof LeaderInfo li) {
            onLeaderInfo(li);
        } else if (m instanceof Diff d) {
            onSyncStart(d);
        } else if (m instanceof Trunc t) {
            onTrunc(t);
        } else if (m instanceof Snap s) {
            onSnap(s);
        } else if (m instanceof SnapChunk c) {
            onSnapChunk(c);
        } else if (m instanceof NewLeader nl) {
            onNewLeader(nl);
        } else if (m instanceof UpToDate u) {
            onUpToDate(u);
        } else if (m instanceof SyncReply r) {
            onSyncReply(r);
        } else if (m instanceof RequestRefused r) {
            onRequestRefused(r);
        } else if (m instanceof Takeover t) {
            onTakeover(t);
        } else if (m instanceof FollowerInfo || m instanceof ObserverInfo) {
            // An election chose us while we still followed it: it follows us now.
            core.stepDown("leader " + leader + " sent " + m.getClass().getSimpleName());
        } else if (leaderEpoch == 0) {
            // Sent when it was our learner, before this conversation: stale, not wrong.
            LOG.debug("node {}: {} from {} before its LEADERINFO; ignored", self(), m, leader);
        } else {
            reject(m, "type", m.getClass().getSimpleName(), "only a learner sends it");
        }
    }

    /**
     * Rejects what no honest leader sends (issue 18): the message has no effect, the
     * connection is closed and this node stops following that leader.
     */
    private void reject(Message m, String field, Object value, String rule) {
        core.reject(leader, m, field, value, rule);
        core.stepDown("rejected " + m.getClass().getSimpleName() + " from leader " + leader);
    }

    /**
     * Whether a message of the old conversation may still come: before this leader's
     * LEADERINFO, what it sent us in an earlier one (or as our learner) is still on its way.
     * Ignored then; after it, the link is FIFO and a message out of place is the leader's.
     */
    private boolean stale(Message m) {
        if (leaderEpoch != 0) {
            return false;
        }
        LOG.debug("node {}: {} from {} before its LEADERINFO; ignored", self(), m, leader);
        return true;
    }

    private PeerId self() {
        return core.config().self();
    }

    private void onLeaderInfo(LeaderInfo li) {
        if (li.epoch() < 1 || li.epoch() > LeaderRole.EPOCH_MAX) {
            reject(li, "epoch", li.epoch(), "from 1 to " + LeaderRole.EPOCH_MAX
                    + ", the highest epoch a leader proposes");
            return;
        }
        // A higher LEADERINFO before any of the sync stream: our leader led anew on the same
        // link (it lost its quorum and was elected again) and proposes again; the one we acked
        // answered our earlier FOLLOWERINFO (random simulation with wiped disks, seed 601516).
        boolean proposesAgain = ackEpochSeq >= 0 && li.epoch() > leaderEpoch
                && phase != Phase.BROADCAST && syncMode == null && newLeaderZxid == null;
        if (!proposesAgain && (phase != Phase.DISCOVERY || ackEpochSeq >= 0)) {
            LOG.warn("node {}: duplicate LEADERINFO {}; ignored", self(), li.epoch());
            return;
        }
        if (proposesAgain) {
            LOG.info("node {}: leader {} proposes epoch {} after {}; acking it instead", self(),
                    leader, li.epoch(), leaderEpoch);
            phase = Phase.DISCOVERY;
        }
        if (li.epoch() < core.acceptedEpoch()) {
            core.stepDown("leader " + leader + " proposed epoch " + li.epoch()
                    + " below our acceptedEpoch " + core.acceptedEpoch());
            return;
        }
        leaderEpoch = li.epoch();
        if (li.epoch() > core.acceptedEpoch()) {
            core.saveEpoch(li.epoch(), core.currentEpoch());
        }
        // ACKEPOCH promises acceptedEpoch and the reported history are on disk.
        ackEpochSeq = core.issuedSeq();
        maybeAckEpoch();
    }

    private void maybeAckEpoch() {
        if (phase == Phase.DISCOVERY && ackEpochSeq >= 0 && core.isPersisted(ackEpochSeq)) {
            phase = Phase.SYNCHRONIZATION;
            core.send(leader, new AckEpoch(leaderEpoch, core.currentEpoch(),
                    core.lastLoggedZxid()));
        }
    }

    /**
     * DIFF, TRUNC and SNAP open the sync stream, once, after our ACKEPOCH, for the epoch we
     * acked; the zxid each names is at most of that epoch.
     */
    private boolean inSyncStream(Message m, long epoch, Zxid zxid) {
        if (stale(m)) {
            return false;
        }
        if (phase != Phase.SYNCHRONIZATION || syncMode != null || newLeaderZxid != null) {
            reject(m, "place", phase + (syncMode == null ? "" : " after " + syncMode),
                    "one sync mode, after ACKEPOCH and before NEWLEADER");
            return false;
        }
        if (epoch != leaderEpoch || zxid.epoch() > leaderEpoch) {
            reject(m, "epoch/zxid", epoch + "/" + zxid, "the epoch acked, " + leaderEpoch
                    + ", and no zxid of a later one");
            return false;
        }
        return true;
    }

    private void onSyncStart(Diff d) {
        if (!inSyncStream(d, d.epoch(), d.leaderLastZxid())) {
            return;
        }
        if (d.leaderLastZxid().isBefore(core.lastLoggedZxid())) {
            // DIFF means the leader's history holds our last zxid.
            reject(d, "leaderLastZxid", d.leaderLastZxid(), "at least our last zxid "
                    + core.lastLoggedZxid());
            return;
        }
        syncMode = SyncMode.DIFF;
    }

    private void onTrunc(Trunc t) {
        if (!inSyncStream(t, t.epoch(), t.truncZxid())) {
            return;
        }
        // A leader has every committed txn (and our snapshot is of committed ones): it never
        // truncates them. Below them it would undo what we delivered.
        Zxid floor = Zxid.max(core.lastCommittedZxid(), core.history().base());
        if (t.truncZxid().isBefore(floor)) {
            reject(t, "truncZxid", t.truncZxid(), "at least our committed " + floor);
            return;
        }
        syncMode = SyncMode.TRUNC;
        core.truncateLog(t.truncZxid());
    }

    private void onSnap(Snap s) {
        if (!inSyncStream(s, s.epoch(), s.zxid())) {
            return;
        }
        Zxid committed = core.lastCommittedZxid();
        if (s.zxid().isBefore(committed) && committed.equals(core.lastLoggedZxid())) {
            // Every txn we hold is committed, so the leader holds our last zxid and syncs us
            // by DIFF (or we are below its history, and its snapshot is above our last).
            reject(s, "zxid", s.zxid(), "not below our committed " + committed + " when we"
                    + " hold nothing uncommitted");
            return;
        }
        // Before the snapshot replaces our history (and the changes in it): saved first, as
        // every storage action is durable in order.
        core.adoptMembership(s.membership());
        syncMode = SyncMode.SNAP;
        snapZxid = s.zxid();
        snapSize = s.size();
        snapCrc = s.crc();
        ZabCore.SnapReceipt part = core.partialSnap();
        snapReceived = part != null && part.sameSnapshot(snapZxid, snapSize, snapCrc)
                ? part.durable() : 0;
        if (snapReceived > 0) {
            LOG.info("node {}: resuming snapshot {} after {} of its {} bytes", self(), snapZxid,
                    snapReceived, snapSize);
        }
        // Where the chunks are to start: the leader sends none before this answer.
        core.send(leader, new SnapAck(snapZxid, snapReceived));
        if (snapReceived == snapSize) {
            core.installSnapshot(snapZxid, snapSize, snapCrc);
        }
    }

    /**
     * A part of the snapshot: written to a temp file in order, acked once durable; once all of
     * it is in, it is installed (verified against SNAP's size and digest, then made the newest
     * snapshot atomically) before any txn after it is logged. The state machine is replaced at
     * the next delivery (after UPTODATE, after this is durable), even if this sync fails and a
     * later one completes (ZOOKEEPER-3642).
     */
    private void onSnapChunk(SnapChunk c) {
        if (stale(c)) {
            return;
        }
        if (syncMode != SyncMode.SNAP || newLeaderZxid != null || c.epoch() != leaderEpoch
                || !c.zxid().equals(snapZxid) || c.offset() != snapReceived
                || snapReceived + c.data().length > snapSize) {
            reject(c, "zxid/offset", c.zxid() + "/" + c.offset(), "the next chunk of the SNAP"
                    + " announced, " + snapZxid + " at " + snapReceived + " of " + snapSize);
            return;
        }
        long seq = core.writeSnapshotChunk(snapZxid, c.offset(), c.data());
        snapReceived += c.data().length;
        snapWrites.addLast(new long[] {seq, snapReceived});
        ticksInRole = 0; // the sync's timeout counts progress, not the whole transfer
        if (snapReceived == snapSize) {
            core.installSnapshot(snapZxid, snapSize, snapCrc);
        }
    }

    /** Tells the leader how much of the snapshot is durable here (opens its window). */
    private void ackSnapChunks() {
        long acked = -1;
        while (!snapWrites.isEmpty() && core.isPersisted(snapWrites.peekFirst()[0])) {
            acked = snapWrites.pollFirst()[1];
        }
        if (acked >= 0) {
            // The install went out with the last chunk and consumes what was received: a
            // receipt recorded after it would let a later SNAP of the same snapshot resume
            // into a file that is gone (found by the simulator, seed 201367).
            if (snapReceived < snapSize) {
                core.snapDurable(snapZxid, snapSize, snapCrc, acked);
            }
            core.send(leader, new SnapAck(snapZxid, acked));
        }
    }

    private void onProposal(Proposal p) {
        Zxid z = p.txn().zxid();
        if (stale(p)) {
            return;
        }
        if (phase == Phase.DISCOVERY || (phase == Phase.SYNCHRONIZATION && syncMode == null)) {
            reject(p, "place", phase, "proposals follow DIFF, TRUNC or SNAP");
            return;
        }
        boolean inStream = newLeaderZxid == null;
        if ((inStream && z.epoch() > leaderEpoch) || (!inStream && z.epoch() != leaderEpoch)) {
            reject(p, "zxid", z, (inStream ? "at most" : "of") + " the leader's epoch "
                    + leaderEpoch);
            return;
        }
        if (!core.history().continuesWith(z)) {
            reject(p, "zxid", z, "the next after our last " + core.lastLoggedZxid());
            return;
        }
        core.append(List.of(p.txn()));
        if (self().equals(p.origin()) && unforward(p.requestId())) {
            core.bindRequest(p.requestId(), z);
            forwardAwaiting();
        }
    }

    private void onInform(Inform i) {
        Zxid z = i.txn().zxid();
        if (stale(i)) {
            return;
        }
        if (!observer || newLeaderZxid == null || z.epoch() != leaderEpoch
                || !core.history().continuesWith(z)) {
            reject(i, "zxid", z, "to an observer after NEWLEADER, of epoch " + leaderEpoch
                    + ", the next after our last " + core.lastLoggedZxid());
            return;
        }
        core.append(List.of(i.txn()));
        if (self().equals(i.origin()) && unforward(i.requestId())) {
            core.bindRequest(i.requestId(), z);
            forwardAwaiting();
        }
        commitWatermark = Zxid.max(commitWatermark, z);
    }

    private void onNewLeader(NewLeader nl) {
        if (stale(nl)) {
            return;
        }
        if (phase != Phase.SYNCHRONIZATION || syncMode == null || nl.epoch() != leaderEpoch
                || newLeaderZxid != null) {
            reject(nl, "epoch", nl.epoch(), "once, after the sync stream, of the epoch acked "
                    + leaderEpoch);
            return;
        }
        // The stream ends where our history now does, and a leader's history holds every
        // committed txn: a SNAP older than them must have been followed by them.
        if (!nl.lastZxid().equals(core.lastLoggedZxid())
                || nl.lastZxid().isBefore(core.lastCommittedZxid())) {
            reject(nl, "lastZxid", nl.lastZxid(), "our history's end " + core.lastLoggedZxid()
                    + ", not below our committed " + core.lastCommittedZxid());
            return;
        }
        newLeaderZxid = nl.lastZxid();
        // Order on disk: the synced history first, then the membership and currentEpoch, then
        // the ACK.
        core.adoptMembership(nl.membership());
        newLeaderSeq = core.saveEpoch(core.acceptedEpoch(), leaderEpoch);
        maybeAckNewLeader();
    }

    private void maybeAckNewLeader() {
        if (newLeaderZxid != null && !newLeaderAcked && core.isPersisted(newLeaderSeq)) {
            newLeaderAcked = true;
            lastAckSent = newLeaderZxid;
            core.send(leader, new AckNewLeader(leaderEpoch, newLeaderZxid));
        }
    }

    private void onCommit(Commit c) {
        if (stale(c)) {
            return;
        }
        if (observer || c.zxid().epoch() != leaderEpoch || newLeaderZxid == null
                || c.zxid().isAfter(core.lastLoggedZxid())) {
            reject(c, "zxid", c.zxid(), "to a follower after NEWLEADER, of epoch " + leaderEpoch
                    + ", at most our last " + core.lastLoggedZxid());
            return;
        }
        commitWatermark = Zxid.max(commitWatermark, c.zxid());
        deliver();
    }

    /**
     * Our leader hands its leadership over (leadership transfer) and leads no more. The target
     * takes over if it holds exactly the leader's last txn durably, as its ACK said; every other
     * learner follows the target. An honest leader sends it only in broadcast, of its epoch,
     * naming another voter.
     */
    private void onTakeover(Takeover t) {
        if (stale(t)) {
            return;
        }
        PeerId target = t.target();
        if (!upToDate || t.epoch() != leaderEpoch || t.zxid().epoch() > leaderEpoch
                || target.equals(leader) || !core.quorum().isVoter(target)) {
            reject(t, "epoch/zxid/target", t.epoch() + "/" + t.zxid() + "/" + target, "in"
                    + " broadcast, of epoch " + leaderEpoch + ", naming a voter other than the"
                    + " leader");
            return;
        }
        if (!target.equals(self())) {
            core.handOver(target, "leader " + leader + " handed over to " + target);
            return;
        }
        Zxid last = core.lastLoggedZxid();
        if (!t.zxid().equals(last) || !core.lastSynced().equals(last)) {
            // Cannot be after our ACK of it on a FIFO link; do not lead without it. The old
            // leader has stopped: we time out and an election picks the next leader.
            LOG.warn("node {}: TAKEOVER from {} at {} but our log ends at {} (durable to {});"
                    + " not taking over", self(), leader, t.zxid(), last, core.lastSynced());
            return;
        }
        core.handOver(self(), "leader " + leader + " handed its leadership over to us");
    }

    private void onUpToDate(UpToDate u) {
        if (stale(u)) {
            return;
        }
        if (!newLeaderAcked || u.epoch() != leaderEpoch || upToDate
                || u.committedZxid().epoch() > leaderEpoch) {
            reject(u, "epoch/committedZxid", u.epoch() + "/" + u.committedZxid(), "once, after"
                    + " our NEWLEADER ack, of epoch " + leaderEpoch + " and no later zxid");
            return;
        }
        upToDate = true;
        phase = Phase.BROADCAST;
        commitWatermark = Zxid.max(commitWatermark, u.committedZxid());
        LOG.info("node {}: up to date with leader {} in epoch {}", self(), leader, leaderEpoch);
        deliver();
    }

    private void deliver() {
        if (!upToDate) {
            return;
        }
        core.setCommitted(Zxid.min(commitWatermark, core.lastLoggedZxid()));
        core.deliverUpTo(commitWatermark);
        completeSyncs();
    }

    @Override
    public void onPersisted() {
        ackSnapChunks();
        maybeAckEpoch();
        maybeAckNewLeader();
        maybeAck();
        deliver();
    }

    /**
     * ACKs what is durable here, but only as far as what this node holds unapplied stays
     * within the leader's in-flight budget: a follower whose state machine falls behind then
     * looks like a slow follower (the leader's window holds it back) instead of queueing txns
     * without bound. At least one txn after the applied point is always acked.
     */
    private void maybeAck() {
        if (!newLeaderAcked) {
            return; // an observer acks too: its ACKs open its window, and never count
        }
        Zxid ackable = Zxid.min(core.lastSynced(), core.history().lastWithin(
                core.appliedZxid(), core.config().proposalsInflightMaxBytes()));
        if (ackable.isAfter(lastAckSent) && ackable.epoch() == leaderEpoch) {
            lastAckSent = ackable;
            core.send(leader, new Ack(ackable));
        }
    }

    /**
     * A committed membership without this node ends its part (it no longer follows), and one
     * in which it has another role makes it start over in that role; a node started to join
     * goes on learning while the leader stages it.
     */
    @Override
    public void onMembershipChanged() {
        io.zab.Membership committed = core.memberships().committed();
        if (!committed.contains(self())) {
            if (core.isRemoved()) {
                core.stepDown("this node was removed from the membership (" + committed + ")");
            }
        } else if (committed.isObserver(self()) != observer) {
            core.stepDown("this node is now " + (observer ? "a voter" : "an observer") + " in "
                    + committed);
        }
    }

    @Override
    public void onHeard(java.util.Set<PeerId> peers) {
        if (peers.contains(leader)) {
            ticksSinceLeader = 0;
        }
    }

    @Override
    public void onTick() {
        ticksInRole++;
        ticksSinceLeader++;
        for (HeldRequests.Held h : awaitingForward.expire(core.ticks())) {
            core.complete(h.requestId(), Outcome.failed(Outcome.Kind.OVERLOADED, leader,
                    "no room to forward the write to leader " + leader + " within the wait;"
                            + " retry later"));
        }
        int sync = core.config().syncLimitTicks();
        int init = core.config().initLimitTicks();
        if (ticksSinceLeader > sync) {
            core.stepDown("no word from leader " + leader + " for " + sync + " ticks");
        } else if (!upToDate && ticksInRole > 2L * init) {
            core.stepDown("no UPTODATE from leader " + leader + " within " + 2 * init
                    + " ticks");
        }
    }

    @Override
    public void onDisconnected(PeerId peer) {
        if (peer.equals(leader)) {
            core.stepDown("connection to leader " + leader + " lost");
        }
    }

    @Override
    public void onSubmit(long requestId, byte[] payload, int waitTicks) {
        if (!upToDate) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, leader,
                    "leader " + leader + " is not in broadcast yet"));
            return;
        }
        boolean backingOff = waitTicks == 0 && refusedTick == core.ticks();
        if (awaitingForward.isEmpty() && !backingOff && forwardRoom(payload.length)) {
            forward(requestId, payload, waitTicks);
        } else if (waitTicks > 0) {
            awaitingForward.add(new HeldRequests.Held(requestId, payload, self(),
                    core.ticks() + waitTicks));
        } else {
            core.complete(requestId, Outcome.failed(Outcome.Kind.OVERLOADED, leader,
                    backingOff ? "leader " + leader + " has no room in its in-flight budget;"
                            + " retry later" : forwarded.size() + " requests ("
                            + forwardedBytes + " bytes) forwarded and not yet proposed;"
                            + " retry later"));
        }
    }

    private boolean forwardRoom(int bytes) {
        CoreConfig c = core.config();
        return forwarded.isEmpty() || (forwarded.size() < c.proposalsInflightMax()
                && forwardedBytes + bytes <= c.proposalsInflightMaxBytes());
    }

    private void forward(long requestId, byte[] payload, int waitTicks) {
        forwarded.put(requestId, payload.length);
        forwardedBytes += payload.length;
        core.send(leader, new Request(requestId, payload, waitTicks));
    }

    /**
     * Forwards a membership change to the leader. It takes no room in the forwarding budget
     * (a leader runs one change at a time and refuses others); it completes like a forwarded
     * write, on delivery of the txn the leader proposes for it, or with the leader's refusal.
     */
    void forwardChange(long requestId, io.zab.Membership target, int timeoutTicks) {
        forwarded.put(requestId, 0);
        core.send(leader, new io.zab.protocol.message.ChangeRequest(requestId, target,
                timeoutTicks));
    }

    /** Forgets a forwarded request; false if it was not in flight. */
    private boolean unforward(long requestId) {
        Integer bytes = forwarded.remove(requestId);
        if (bytes == null) {
            return false;
        }
        forwardedBytes -= bytes;
        return true;
    }

    /** Forwards held writes, in order, while there is room. */
    private void forwardAwaiting() {
        while (upToDate && !awaitingForward.isEmpty()
                && forwardRoom(awaitingForward.peek().bytes())) {
            HeldRequests.Held h = awaitingForward.poll();
            forward(h.requestId(), h.payload(), Math.max(1, h.ticksLeft(core.ticks())));
        }
    }

    /** The leader will never propose a request we forwarded: never applied. */
    private void onRequestRefused(RequestRefused r) {
        if (!unforward(r.requestId())) {
            if (syncs.remove(r.requestId(), null)) { // a sync not answered yet
                core.complete(r.requestId(), Outcome.failed(Outcome.Kind.NOT_LEADER, leader,
                        "leader " + leader + " could not serve the sync: not in broadcast with"
                                + " this node"));
                return;
            }
            LOG.debug("node {}: {} for a request not in flight; ignored", self(), r);
            return;
        }
        forwardAwaiting();
        Outcome.Kind kind;
        String why;
        switch (r.reason()) {
            case OVERLOADED:
                refusedTick = core.ticks();
                kind = Outcome.Kind.OVERLOADED;
                why = "leader " + leader + " had no room in its in-flight budget within the"
                        + " wait; retry later";
                break;
            case TOO_LARGE:
                kind = Outcome.Kind.TOO_LARGE;
                why = "leader " + leader + " refused the txn as larger than its maxTxnBytes";
                break;
            case CHANGE_REFUSED:
                kind = Outcome.Kind.REFUSED;
                why = "leader " + leader + " refused the membership change: nothing to change,"
                        + " or the new members did not catch up within the timeout";
                break;
            case CHANGE_IN_FLIGHT:
                kind = Outcome.Kind.CHANGE_IN_FLIGHT;
                why = "leader " + leader + " has another membership change or a leadership"
                        + " transfer in flight";
                break;
            default:
                kind = Outcome.Kind.NOT_LEADER;
                why = "leader " + leader + " is no longer in broadcast";
                break;
        }
        core.complete(r.requestId(), Outcome.failed(kind, leader, why));
    }

    @Override
    public void onApplied() {
        maybeAck();
    }

    @Override
    public void onSyncRead(long requestId) {
        if (!upToDate) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, leader,
                    "leader " + leader + " is not in broadcast yet"));
            return;
        }
        syncs.put(requestId, null);
        core.send(leader, new SyncRequest(requestId));
    }

    private void onSyncReply(SyncReply r) {
        if (stale(r)) {
            return;
        }
        if (r.zxid().epoch() > leaderEpoch) {
            reject(r, "zxid", r.zxid(), "at most of the leader's epoch " + leaderEpoch);
            return;
        }
        if (syncs.containsKey(r.requestId())) {
            syncs.put(r.requestId(), r.zxid());
            completeSyncs();
        }
    }

    private void completeSyncs() {
        List<Long> done = new ArrayList<>();
        for (Map.Entry<Long, Zxid> e : syncs.entrySet()) {
            Zxid need = e.getValue();
            if (need != null && !need.isAfter(core.lastDeliveredZxid())) {
                done.add(e.getKey());
                core.complete(e.getKey(), Outcome.synced(need));
            }
        }
        done.forEach(syncs::remove);
    }

    @Override
    public void onSnapshotReady(PeerId learner, Zxid zxid, long size, int crc) {
        // Only a leader asks for snapshots; a late answer after stepping down is dropped.
    }

    @Override
    public void leave() {
        for (HeldRequests.Held h : awaitingForward.drain()) {
            core.holdForNextLeader(h); // never sent: it may wait for the next leader
        }
        for (Long id : forwarded.keySet()) {
            core.complete(id, Outcome.failed(Outcome.Kind.OUTCOME_UNKNOWN, null,
                    "lost leader " + leader + " after forwarding the txn"));
        }
        for (Long id : syncs.keySet()) {
            core.complete(id, Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                    "lost leader " + leader + " before sync completed"));
        }
    }
}
