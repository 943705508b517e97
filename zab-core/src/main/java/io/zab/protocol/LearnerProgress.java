package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.ArrayDeque;

/**
 * What the leader knows of one learner: a thread-free LearnerHandler. The state only moves
 * forward; a learner that starts over (a new FOLLOWERINFO, a broken connection) gets a new one.
 */
final class LearnerProgress {
    enum State {
        /** FOLLOWERINFO/OBSERVERINFO received; waiting for the epoch. */
        INFO,
        /** LEADERINFO sent. */
        EPOCH_SENT,
        /** ACKEPOCH received: its currentEpoch and last zxid are known. */
        EPOCH_ACKED,
        /** A snapshot for it is being taken. */
        SNAP_PENDING,
        /** SNAP sent; its chunks are flowing within the window. */
        SNAP_SENDING,
        /** DIFF/TRUNC/SNAP stream and NEWLEADER sent; proposals and commits flow. */
        SYNC_SENT,
        /** NEWLEADER acked; waiting for the leader to be established. */
        SYNCED,
        /** UPTODATE sent. */
        BROADCAST
    }

    final PeerId id;
    final boolean observer;
    /** A blank voter joining an existing cluster, not yet synced: synced, never counted. */
    final boolean abstains;
    final long acceptedEpoch;
    State state = State.INFO;
    long currentEpoch;
    Zxid lastZxid;
    Zxid newLeaderZxid;
    /** Cumulative: everything of this epoch up to here is durable on the learner. */
    Zxid ackedZxid = Zxid.ZERO;
    long lastHeardTick;
    long pingAckRound;
    /** The last txn sent to it (the sync stream's end, then proposals); null before the sync. */
    Zxid sentZxid;
    /**
     * It forwarded a write on this connection: the origins of txns it forwarded are kept until
     * it is sent them. Origins it forwarded on an earlier connection bind nothing any more
     * (its requests ended with that connection), so they no longer hold others' back.
     */
    boolean forwarded;
    /** The highest COMMIT sent to it: never beyond {@link #sentZxid}. */
    Zxid commitSent = Zxid.ZERO;
    /** Proposals sent after the sync stream and not acknowledged: its flow-control window. */
    final ArrayDeque<Txn> unacked = new ArrayDeque<>();
    long unackedBytes;
    /**
     * The snapshot being sent: its zxid, size and CRC32C, whether the learner said where to
     * start, and how far it was read, sent, acked.
     */
    Zxid snapZxid;
    boolean snapStarted;
    /** Bytes this transfer may still read before the next tick, under a rate limit. */
    long snapCredit;
    long snapSize;
    int snapCrc;
    long snapRequested;
    long snapSent;
    long snapAcked;
    /**
     * The txns it needs from the log (older than the history in memory): the zxid of the read
     * under way, or null; the txns read and not yet sent (a read's worth at most); how many of
     * them it was sent so far.
     */
    Zxid readPending;
    final ArrayDeque<Txn> readAhead = new ArrayDeque<>();
    long sentFromLog;

    LearnerProgress(PeerId id, boolean observer, boolean abstains, long acceptedEpoch,
            Zxid lastZxid, long now) {
        this.id = id;
        this.observer = observer;
        this.abstains = abstains;
        this.acceptedEpoch = acceptedEpoch;
        this.lastZxid = lastZxid;
        this.lastHeardTick = now;
    }

    /** The learner has its sync stream and gets every later proposal, commit or inform. */
    boolean streaming() {
        return state == State.SYNC_SENT || state == State.SYNCED || state == State.BROADCAST;
    }

    /** Whether a proposal of {@code bytes} fits its window (an empty window takes any txn). */
    boolean windowFits(int bytes, long windowBytes) {
        return unacked.isEmpty() || unackedBytes + bytes <= windowBytes;
    }

    void sent(Txn t) {
        sentZxid = t.zxid();
        unacked.addLast(t);
        unackedBytes += t.data().length;
    }

    /** It acknowledged everything up to {@code zxid}: that leaves its window. */
    void acknowledged(Zxid zxid) {
        while (!unacked.isEmpty() && !unacked.peekFirst().zxid().isAfter(zxid)) {
            unackedBytes -= unacked.pollFirst().data().length;
        }
    }

    /** Whether it is being sent txns read from the log. */
    boolean readingLog() {
        return readPending != null || !readAhead.isEmpty();
    }

    /** The learner's ACK counts toward commits (it acked NEWLEADER of this epoch). */
    boolean acking() {
        return !observer && (state == State.SYNCED || state == State.BROADCAST);
    }

    /** Where it stands, in a few words for an operator (the leader's learners() status). */
    String phase() {
        return switch (state) {
            case INFO, EPOCH_SENT, EPOCH_ACKED -> "discovery";
            case SNAP_PENDING -> "syncing by SNAP: taking a snapshot";
            case SNAP_SENDING -> "syncing by SNAP " + (snapSize == 0 ? 100
                    : snapAcked * 100 / snapSize) + "% (" + snapAcked + " of "
                    + snapSize + " bytes)";
            case SYNC_SENT, SYNCED -> "syncing" + fromLog();
            case BROADCAST -> "broadcast" + fromLog();
        };
    }

    private String fromLog() {
        return readingLog() ? ", catching up from our log (" + sentFromLog
                + " txns sent from it)" : "";
    }

    @Override
    public String toString() {
        return "learner " + id + " " + state;
    }
}
