package io.zab.protocol;

import io.zab.Membership;
import io.zab.Zxid;
import java.util.List;
import org.slf4j.Logger;

/**
 * What is committed, delivered and applied here, and the handing of committed txns to the
 * delivery pipeline: never past what is durable here, never before a snapshot installed by SNAP
 * was restored, and never past a committed membership's txn until that membership is saved.
 * What the state machine reported applied bounds how far the history may be trimmed.
 * Single-threaded: the core's, on the protocol thread.
 */
final class Delivery {
    private static final Logger LOG = ZabCore.LOG;

    private final ZabCore core;
    private final CoreConfig config;
    private final History history;
    private final LocalRequests requests;
    private Zxid lastCommittedZxid;
    private Zxid lastDeliveredZxid;
    /** What the state machine reported applied (Event.Applied): at most lastDeliveredZxid. */
    private Zxid appliedZxid;
    /** A committed membership being saved: delivery stops before its txn until it is durable. */
    private Zxid membershipSaveZxid;
    private long membershipSaveSeq = -1;
    /** A snapshot installed by SNAP that the state machine has not been given yet. */
    private Zxid pendingRestoreZxid;
    private long pendingRestoreSeq;

    Delivery(ZabCore core, History history, LocalRequests requests, Zxid snapshotZxid) {
        this.core = core;
        this.config = core.config();
        this.history = history;
        this.requests = requests;
        this.lastCommittedZxid = snapshotZxid;
        this.lastDeliveredZxid = snapshotZxid;
        this.appliedZxid = snapshotZxid;
    }

    Zxid lastCommitted() {
        return lastCommittedZxid;
    }

    Zxid lastDelivered() {
        return lastDeliveredZxid;
    }

    Zxid applied() {
        return appliedZxid;
    }

    void setCommitted(Zxid zxid) {
        if (zxid.isAfter(lastCommittedZxid)) {
            lastCommittedZxid = zxid;
            Membership done = core.memberships().commitUpTo(zxid);
            if (done != null) {
                LOG.info("node {}: {} committed{}", config.self(), done,
                        done.contains(config.self()) ? "" : "; this node is no longer a member");
                saveMembership(done);
            }
        }
    }

    /** The log was cut after {@code lastKept}: what it no longer holds is not committed here. */
    void truncated(Zxid lastKept) {
        lastCommittedZxid = Zxid.min(lastCommittedZxid, lastKept);
    }

    /** Saves a committed membership; delivery stops before its txn until it is durable. */
    void saveMembership(Membership m) {
        long seq = core.storage().saveMembership(m);
        membershipSaveZxid = m.version();
        membershipSaveSeq = seq;
    }

    /** Storage reported progress: delivery goes on past a membership save it made durable. */
    void onPersisted() {
        if (membershipSaveZxid != null && core.isPersisted(membershipSaveSeq)) {
            membershipSaveZxid = null;
            deliverUpTo(lastCommittedZxid);
        }
    }

    /** The snapshot at {@code zxid}, installed by storage action {@code seq}, is restored next. */
    void restoreAfter(Zxid zxid, long seq) {
        pendingRestoreZxid = zxid;
        pendingRestoreSeq = seq;
    }

    /** Replaces the state machine with the snapshot installed by SNAP, before any delivery. */
    private void restorePending() {
        if (pendingRestoreZxid == null || !core.isPersisted(pendingRestoreSeq)) {
            return;
        }
        core.emit(new Action.RestoreSnapshot(pendingRestoreZxid));
        lastDeliveredZxid = pendingRestoreZxid;
        appliedZxid = Zxid.min(appliedZxid, pendingRestoreZxid);
        lastCommittedZxid = Zxid.max(lastCommittedZxid, pendingRestoreZxid);
        requests.restored(lastDeliveredZxid);
        pendingRestoreZxid = null;
    }

    /**
     * Hands committed txns up to {@code zxid} to the delivery pipeline, never past what is
     * durable here (nothing reaches the host before it is on this node's disk).
     */
    void deliverUpTo(Zxid zxid) {
        restorePending();
        if (pendingRestoreZxid != null) {
            return;
        }
        Zxid upTo = Zxid.min(Zxid.min(zxid, lastCommittedZxid), core.lastSynced());
        if (membershipSaveZxid != null && !core.isPersisted(membershipSaveSeq)) {
            // A snapshot past the membership txn may let the log drop it: the committed
            // membership must be on disk before anything after it can reach a snapshot.
            upTo = Zxid.min(upTo, history.before(membershipSaveZxid));
        }
        if (!upTo.isAfter(lastDeliveredZxid)) {
            return;
        }
        List<Txn> txns = history.between(lastDeliveredZxid, upTo);
        if (txns.isEmpty()) {
            return;
        }
        Zxid last = txns.get(txns.size() - 1).zxid();
        // The sizes from the history's running bytes: the txns themselves are cold by now.
        core.emit(new Action.Deliver(txns, history.bytesBetween(lastDeliveredZxid, last)));
        lastDeliveredZxid = last;
        requests.delivered(lastDeliveredZxid);
        trimHistory();
    }

    void onApplied(Zxid zxid) {
        // A mark is coalesced and may trail a restore that moved delivery elsewhere: clamp it.
        Zxid z = Zxid.min(zxid, lastDeliveredZxid);
        if (z.isAfter(appliedZxid)) {
            appliedZxid = z;
            trimHistory();
            RoleState role = core.roleState();
            if (role != null) {
                role.onApplied();
            }
        }
    }

    /**
     * Keeps the history within its bounds but never drops a txn the state machine has not
     * applied: the delivery queue holds the same txns, so what a node holds in memory is the
     * history plus nothing (a leader's in-flight budget and a follower's acks bound what is
     * unapplied).
     */
    private void trimHistory() {
        // Trimmed in steps of a sixteenth of the count bound: what to keep (the pin) costs a
        // search per learner, too much to pay for every delivered txn of a fast stream.
        int maxTxns = config.historyMaxTxns();
        if (history.size() - maxTxns <= maxTxns / 16
                && history.bytes() <= config.historyMaxBytes()) {
            return;
        }
        RoleState role = core.roleState();
        Zxid pin = role == null ? null : role.historyPin();
        history.trim(maxTxns, config.historyMaxBytes(),
                pin == null ? appliedZxid : Zxid.min(appliedZxid, pin));
    }
}
