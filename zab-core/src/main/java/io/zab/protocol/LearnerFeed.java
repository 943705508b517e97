package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.LearnerProgress.State;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;

/**
 * What the leader streams to its learners once they are synced or being synced: the txns of a
 * DIFF or TRUNC and NEWLEADER, then every proposal (INFORM of what is committed, to observers)
 * within the learner's window, and COMMITs. A learner behind our history in memory is caught
 * up from the log, read in bounded parts as its window opens; while it is fed from memory (or
 * sent a snapshot) it pins the history ({@link #historyPin}). The per-learner positions live in
 * {@link LearnerProgress}. Single-threaded: the leader's, on the protocol thread.
 */
final class LearnerFeed {
    private static final Logger LOG = LeaderRole.LOG;

    /**
     * The most payload one read of the log asks for (or one txn of maxTxnBytes, if larger), and
     * never more than the learner's window has room for: a read's txns wait in memory only
     * until the window takes them.
     */
    static final int LOG_READ_BYTES = 1 << 20;

    private final ZabCore core;
    private final LeaderRole leader;
    private final Origins origins;
    private final PeerId self;

    LearnerFeed(ZabCore core, LeaderRole leader, Origins origins) {
        this.core = core;
        this.leader = leader;
        this.origins = origins;
        this.self = core.config().self();
    }

    /** The end of the stream a learner gets: everything for a follower, commits for observers. */
    Zxid streamEnd(LearnerProgress p) {
        return p.observer ? core.lastCommittedZxid() : core.lastLoggedZxid();
    }

    /**
     * DIFF (or TRUNC) whose txns start below our history in memory: NEWLEADER goes at once,
     * naming the end of the learner's (cut) history, and the txns after it follow as they do
     * for any learner in broadcast ({@link #fill}): within its window, read from our log in
     * bounded parts until the history in memory has the rest. The learner acks NEWLEADER once
     * currentEpoch is durable, gets UPTODATE, and acks the txns as they become durable; its
     * ACKs open the window for the next reads. The wire sequence is one a learner takes in any
     * sync: DIFF or TRUNC, NEWLEADER, PROPOSALs and COMMITs of our epoch, UPTODATE among them.
     */
    void streamFromLog(LearnerProgress p, Zxid from) {
        p.newLeaderZxid = from;
        p.sentZxid = from;
        p.state = State.SYNC_SENT;
        core.send(p.id, new NewLeader(leader.epoch(), from, core.memberships().committed()));
        if (!fill(p)) {
            leader.drop(p.id);
        }
    }

    void streamTxns(LearnerProgress p, Zxid from, Zxid end) {
        Zxid prev = from;
        for (Txn t : core.history().between(from, end)) {
            // ZOOKEEPER-4925: never serve a history with a hole.
            if (!prev.isFollowedBy(t.zxid())) {
                throw new IllegalStateException("history gap at " + t.zxid() + " after "
                        + prev);
            }
            core.send(p.id, new Proposal(t, null, 0));
            prev = t.zxid();
        }
        p.newLeaderZxid = end;
        p.sentZxid = end;
        p.state = State.SYNC_SENT;
        // The learner adopts our committed membership with our history: one whose change lies
        // before a snapshot it got, or a joiner's, would be unknown to it otherwise.
        core.send(p.id, new NewLeader(leader.epoch(), end, core.memberships().committed()));
    }

    /**
     * A connected learner still to be fed keeps what it has not been sent, up to
     * historyMaxBytes (beyond it, it is fed from the log); a snapshot being sent keeps the
     * txns after it, up to twice that. Otherwise the history shrinks to historyMaxTxns: txns
     * that live briefly die young in the JVM's heap, where keeping a few seconds of a fast
     * stream for DIFF made every young collection copy it (GC took a fifth of the CPU).
     */
    Zxid historyPin() {
        long held = core.history().bytes();
        long max = core.config().historyMaxBytes();
        if (held > 2 * max) {
            return null; // a transfer that takes this long starts over (SnapTransfers.finishSnap)
        }
        Zxid pin = null;
        for (LearnerProgress p : leader.learnerProgress()) {
            // Per learner: only one too far behind loses its pin (and is fed from the log, or
            // dropped once the log does not reach back to it). One fed from the log pins
            // nothing: the log serves it until it reaches the history (or a purge passes it,
            // and it resyncs by SNAP), and holding the history for it would fill the heap for
            // as long as it catches up.
            Zxid needs = p.state == State.SNAP_SENDING ? p.snapZxid
                    : p.streaming() && !core.servable().onlyInLog(p.sentZxid)
                            && core.history().bytesAfter(p.sentZxid) <= max ? p.sentZxid : null;
            if (needs != null) {
                pin = pin == null ? needs : Zxid.min(pin, needs);
            }
        }
        return pin;
    }

    /** What a learner is sent for a txn: followers a PROPOSAL, observers (committed) INFORM. */
    private Message streamed(LearnerProgress p, Txn t) {
        Origins.Origin o = origins.of(t.zxid());
        PeerId origin = o == null ? null : o.peer();
        long requestId = o == null ? 0 : o.requestId();
        return p.observer ? new Inform(t, origin, requestId) : new Proposal(t, origin, requestId);
    }

    /**
     * Sends a learner the txns it has not had (a follower every proposal, an observer what is
     * committed), as far as its window allows, and a follower the commit point up to what it
     * has. Txns older than the history in memory come from the log ({@link #readLog}). False
     * when the learner fell behind what our history and log hold: the caller drops it, and it
     * resyncs (by SNAP) when it comes back.
     */
    boolean fill(LearnerProgress p) {
        if (!p.streaming()) {
            return true;
        }
        Zxid last = streamEnd(p);
        long window = core.config().learnerWindowBytes();
        while (p.sentZxid.isBefore(last)) {
            Txn t = nextToSend(p);
            if (t == null) {
                if (!readLog(p, window)) {
                    return false;
                }
                break;
            }
            if (!p.windowFits(t.data().length, window)) {
                break;
            }
            if (!p.readAhead.isEmpty()) {
                p.readAhead.pollFirst();
                p.sentFromLog++;
            }
            p.sent(t);
            core.send(p.id, streamed(p, t));
        }
        if (!p.observer) {
            sendCommit(p);
        }
        return true;
    }

    /** The txn after the last one the learner was sent: read from the log, or in memory. */
    private Txn nextToSend(LearnerProgress p) {
        if (!p.readAhead.isEmpty()) {
            return p.readAhead.peekFirst();
        }
        Txn t = core.history().next(p.sentZxid);
        return t != null && p.sentZxid.isFollowedBy(t.zxid()) ? t : null;
    }

    /** The most one read of the log asks for. */
    private long logReadBytes() {
        return Math.max(LOG_READ_BYTES, core.config().maxTxnBytes());
    }

    /**
     * The learner needs txns older than our history in memory: asks for the next part from the
     * log, as much as its window has room for (up to {@link #logReadBytes}; at least one txn,
     * which waits for room if it has none), unless a read is under way or the window has less
     * than half a read's room (its ACKs make more). False when the log no longer holds them
     * (purged past it): the caller drops it, and it resyncs (by SNAP).
     */
    private boolean readLog(LearnerProgress p, long window) {
        if (p.readPending != null) {
            return true;
        }
        if (!core.servable().onlyInLog(p.sentZxid) || !core.logExtent().contains(p.sentZxid)) {
            LOG.info("node {}: learner {} fell behind what our history and log hold (it has up"
                    + " to {}; history from {}, {}); dropping it so it resyncs", self, p.id,
                    p.sentZxid, core.history().base(), core.logExtent());
            return false;
        }
        long want = Math.min(logReadBytes(), window);
        long room = window - p.unackedBytes;
        if (!p.unacked.isEmpty() && room < want / 2) {
            return true;
        }
        p.readPending = p.sentZxid;
        core.readLog(p.id, p.sentZxid, p.unacked.isEmpty() ? want : Math.max(1, Math.min(want,
                room)));
        return true;
    }

    /**
     * Txns read from the log for a learner: sent as its window allows, the rest kept until it
     * acks. A read it no longer waits for (it was dropped, or started over) is ignored; one
     * that does not continue where it is, gaplessly and in our epoch, drops it.
     */
    void onLogRead(PeerId learner, Zxid after, List<Txn> txns) {
        LearnerProgress p = leader.learner(learner);
        if (p == null || !after.equals(p.readPending)) {
            return;
        }
        p.readPending = null;
        String wrong = after.equals(p.sentZxid) ? misfit(after, txns)
                : "a read after " + after + " while it was sent up to " + p.sentZxid;
        if (wrong != null) {
            LOG.warn("node {}: reading our log after {} for learner {} gave {}; dropping it so"
                    + " it syncs again", self, after, learner, wrong);
            leader.drop(learner);
            return;
        }
        p.readAhead.addAll(txns);
        if (!fill(p)) {
            leader.drop(learner);
        }
    }

    /** Why txns read after {@code after} cannot be streamed to a learner in broadcast, or null. */
    private String misfit(Zxid after, List<Txn> txns) {
        if (txns.isEmpty()) {
            return "no txn";
        }
        Zxid prev = after;
        for (Txn t : txns) {
            if (!prev.isFollowedBy(t.zxid())) {
                return t.zxid() + " right after " + prev + " (a gap: the log was cut meanwhile)";
            }
            if (t.zxid().epoch() != leader.epoch()) {
                return "txn " + t.zxid() + ", not of our epoch " + leader.epoch();
            }
            prev = t.zxid();
        }
        return null;
    }

    /**
     * A read of the log for a learner failed (an I/O error, or the txns were gone): it is
     * dropped rather than left waiting, and syncs again when it comes back (by SNAP, if the
     * log no longer reaches back to it).
     */
    void onLogReadFailed(PeerId learner, Zxid after, String reason) {
        LearnerProgress p = leader.learner(learner);
        if (p != null && after.equals(p.readPending)) {
            LOG.warn("node {}: reading our log after {} for learner {} failed ({}); dropping it"
                    + " so it syncs again", self, after, learner, reason);
            leader.drop(learner);
        }
    }

    /** COMMIT up to what the follower has been sent; never a txn it has not received. */
    void sendCommit(LearnerProgress p) {
        Zxid c = Zxid.min(core.lastCommittedZxid(), p.sentZxid);
        if (c.epoch() == leader.epoch() && c.isAfter(p.commitSent)) {
            p.commitSent = c;
            core.send(p.id, new Commit(c));
        }
    }

    /**
     * Sends a new proposal to the followers that were sent everything before it ({@code
     * last}) and have room for it in their window; the others get it when their turn comes.
     */
    void sendProposal(Zxid last, Txn txn, Proposal proposal) {
        long window = core.config().learnerWindowBytes();
        for (LearnerProgress p : leader.learnerProgress()) {
            // A learner still being fed older txns gets this one when its turn comes.
            if (p.streaming() && !p.observer && last.equals(p.sentZxid)
                    && p.windowFits(txn.data().length, window)) {
                p.sent(txn);
                core.send(p.id, proposal);
            }
        }
    }

    /**
     * The commit point moved to {@code best}: followers get COMMIT up to what they were sent,
     * observers the txns now committed (one that fell behind what we hold is dropped), and the
     * origins no learner still needs are forgotten.
     */
    void onCommitted(Zxid best) {
        // A forwarded txn's origin goes out with its PROPOSAL or INFORM, and only the learner
        // that forwarded it needs it (to bind its request): keep it until that learner has been
        // sent the txn, not only until it commits. Only learners that forwarded txns still kept
        // on their current connection hold the others' back: one catching up from far behind
        // (from the log, after a reconnect) holds none.
        Zxid originsDone = best;
        for (Iterator<LearnerProgress> it = leader.learnerProgress().iterator();
                it.hasNext();) {
            LearnerProgress p = it.next();
            if (!p.streaming()) {
                continue;
            }
            if (!p.observer) {
                sendCommit(p);
            } else if (!fill(p)) {
                it.remove();
                continue;
            }
            if (p.forwarded && origins.holdsFor(p.id)) {
                originsDone = Zxid.min(originsDone, p.sentZxid);
            }
        }
        origins.forgetUpTo(originsDone);
    }
}
