package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.LearnerProgress.State;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import java.util.List;
import org.slf4j.Logger;

/**
 * SNAP sync of learners: a snapshot is taken for the learner, SNAP names it, the learner says
 * where to start (a broken transfer resumes), and SNAPCHUNKs stream within the learner's window
 * of SNAPACKs and, under a rate limit, within each tick's credit; then the txns after the
 * snapshot and NEWLEADER follow ({@link LearnerFeed#streamTxns}). A transfer's progress lives in
 * its {@link LearnerProgress}. Single-threaded: the leader's, on the protocol thread.
 */
final class SnapTransfers {
    private static final Logger LOG = LeaderRole.LOG;

    /** The largest SNAPCHUNK: small enough to interleave with PINGs, large enough to stream. */
    static final int SNAP_CHUNK_BYTES = 256 << 10;

    private final ZabCore core;
    private final LeaderRole leader;
    private final LearnerFeed feed;
    private final PeerId self;

    SnapTransfers(ZabCore core, LeaderRole leader, LearnerFeed feed) {
        this.core = core;
        this.leader = leader;
        this.feed = feed;
        this.self = core.config().self();
    }

    /** The learner is synced by SNAP: a snapshot is taken for it first. */
    void take(LearnerProgress p) {
        p.state = State.SNAP_PENDING;
        core.emit(new Action.TakeSnapshot(p.id));
    }

    void onSnapshotReady(PeerId learner, Zxid zxid, long size, int crc) {
        LearnerProgress p = leader.learner(learner);
        if (p == null || p.state != State.SNAP_PENDING) {
            return;
        }
        Zxid end = feed.streamEnd(p);
        if (!core.history().contains(zxid) || zxid.isAfter(end)) {
            LOG.info("node {}: snapshot at {} no longer fits our history; taking another",
                    self, zxid);
            core.emit(new Action.TakeSnapshot(p.id));
            return;
        }
        p.snapZxid = zxid;
        p.snapSize = size;
        p.snapCrc = crc;
        p.snapStarted = false;
        p.snapRequested = 0;
        p.snapSent = 0;
        p.snapAcked = 0;
        p.state = State.SNAP_SENDING;
        // The learner answers with where to start: after what it holds of this very snapshot
        // from a transfer that broke, or at 0.
        core.send(p.id, new Snap(leader.epoch(), zxid, size, crc, core.memberships().committed()));
    }

    /** Under a snapshot rate limit, each transfer gets one tick's bytes and reads on. */
    void refillSnapCredit() {
        long perTick = core.config().snapBytesPerTick();
        if (perTick == 0) {
            return;
        }
        for (LearnerProgress p : List.copyOf(leader.learnerProgress())) {
            if (p.state == State.SNAP_SENDING && p.snapStarted) {
                p.snapCredit = Math.min(p.snapCredit + perTick, perTick);
                requestChunks(p);
            }
        }
    }

    /**
     * The learner's SNAP cannot go on (its snapshot was not kept, or a part of it not read):
     * it is dropped at once rather than left waiting for data that will not come, and syncs
     * again when it comes back. A failed read of a transfer it no longer runs (a snapshot
     * abandoned earlier) changes nothing.
     */
    void onSnapshotFailed(PeerId learner, Zxid zxid, String reason) {
        LearnerProgress p = leader.learner(learner);
        boolean current = p != null && (zxid == null ? p.state == State.SNAP_PENDING
                : p.state == State.SNAP_SENDING && zxid.equals(p.snapZxid));
        if (current) {
            LOG.warn("node {}: SNAP for learner {} failed ({}); dropping it so it syncs again",
                    self, learner, reason);
            leader.drop(learner);
        }
    }

    /** Chunks are at most this, and never larger than a txn (which a frame is sized for). */
    private int chunkBytes() {
        return Math.min(SNAP_CHUNK_BYTES, core.config().maxTxnBytes());
    }

    /**
     * Asks for the next chunks of the snapshot, within the learner's window and, under a rate
     * limit, within the credit of this tick (a chunk may overdraw it; the next tick pays).
     */
    private void requestChunks(LearnerProgress p) {
        long window = Math.max(core.config().learnerWindowBytes(), chunkBytes());
        boolean limited = core.config().snapBytesPerTick() > 0;
        while (p.snapRequested < p.snapSize && p.snapRequested - p.snapAcked < window
                && (!limited || p.snapCredit > 0)) {
            int length = (int) Math.min(chunkBytes(), p.snapSize - p.snapRequested);
            core.readSnapshotChunk(p.id, p.snapZxid, p.snapRequested, length);
            p.snapRequested += length;
            p.snapCredit -= length;
        }
        if (p.snapSent == p.snapSize) {
            finishSnap(p);
        }
    }

    void onSnapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) {
        LearnerProgress p = leader.learner(learner);
        if (p == null || p.state != State.SNAP_SENDING || !zxid.equals(p.snapZxid)
                || offset != p.snapSent) {
            return; // read for a transfer that was abandoned
        }
        core.send(p.id, new SnapChunk(leader.epoch(), zxid, offset, data));
        p.snapSent += data.length;
        if (p.snapSent == p.snapSize) {
            finishSnap(p);
        }
    }

    void onSnapAck(LearnerProgress p, SnapAck a) {
        if (p.state != State.SNAP_SENDING) {
            return; // acks of the last chunks may come after the txns went out
        }
        long most = p.snapStarted ? p.snapSent : p.snapSize;
        if (!a.zxid().equals(p.snapZxid) || a.offset() < 0 || a.offset() > most) {
            leader.reject(p.id, a, "zxid/offset", a.zxid() + "/" + a.offset(), "the snapshot sent, "
                    + p.snapZxid + ", from 0 to " + most + " bytes");
            return;
        }
        if (!p.snapStarted) {
            p.snapCredit = core.config().snapBytesPerTick();
            long from = Math.max(0, Math.min(a.offset(), p.snapSize));
            if (from > 0) {
                LOG.info("node {}: learner {} holds {} of the {} bytes of snapshot {}; resuming"
                        + " there", self, p.id, from, p.snapSize, p.snapZxid);
            }
            p.snapStarted = true;
            p.snapRequested = from;
            p.snapSent = from;
        }
        p.snapAcked = Math.max(p.snapAcked, Math.min(a.offset(), p.snapSent));
        leader.syncProgressed(); // a snapshot in progress is progress of the sync
        requestChunks(p);
    }

    /**
     * All of the snapshot is sent: the txns after it follow, then NEWLEADER. If the history no
     * longer reaches back to the snapshot (it grew past its bound while the transfer ran), the
     * learner is dropped and starts over.
     */
    private void finishSnap(LearnerProgress p) {
        if (p.snapZxid.isBefore(core.history().base())) {
            LOG.info("node {}: the history no longer reaches back to snapshot {} sent to {};"
                    + " dropping it so it resyncs", self, p.snapZxid, p.id);
            leader.drop(p.id);
            return;
        }
        feed.streamTxns(p, p.snapZxid, feed.streamEnd(p));
    }
}
