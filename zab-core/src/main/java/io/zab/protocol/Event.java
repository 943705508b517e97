package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.message.Message;

/**
 * What the driver tells the core. Each record is one thing that happened outside it; the core
 * answers with {@link Action}s.
 */
public sealed interface Event {
    /** A message arrived from a peer. Messages from one peer arrive in the order it sent them. */
    record Received(PeerId from, Message message) implements Event {
    }

    /**
     * The connection to a peer broke. Messages sent to it before this may be lost; none sent
     * before is delivered after, so both sides restart their conversation.
     */
    record PeerDisconnected(PeerId peer) implements Event {
    }

    /** One tick of time passed. All timeouts of the core count ticks. */
    record Tick() implements Event {
    }

    /**
     * Messages from {@code peers} reached this node since the last such event, though some may
     * still wait to be handled. Liveness counts them: a node behind on its own queue must not
     * take a peer that keeps sending for a silent one.
     */
    record Heard(java.util.Set<PeerId> peers) implements Event {
        public Heard {
            peers = java.util.Set.copyOf(peers);
        }
    }

    /**
     * The host asked to replicate {@code payload}; the answer names {@code requestId}. For up to
     * {@code waitTicks} ticks the request may wait for a leader in broadcast and for room in the
     * leader's in-flight budget; 0 refuses it at once when either is missing.
     */
    record Submit(long requestId, byte[] payload, int waitTicks) implements Event {
        public Submit(long requestId, byte[] payload) {
            this(requestId, payload, 0);
        }
    }

    /** The host asked for sync(): a linearizable read point; may wait for a leader as Submit. */
    record SyncRead(long requestId, int waitTicks) implements Event {
        public SyncRead(long requestId) {
            this(requestId, 0);
        }
    }

    /**
     * The host asked this node, the leader, to hand its leadership to {@code target} within
     * {@code timeoutTicks} ticks (leadership transfer). The answer names {@code requestId}:
     * {@link Outcome.Kind#TRANSFERRED} once this node sees the target lead in broadcast,
     * {@link Outcome.Kind#NOT_LEADER} or {@link Outcome.Kind#REFUSED} at once when the transfer
     * cannot start (nothing changed), {@link Outcome.Kind#TIMED_OUT} when the target did not
     * take over in time. While it runs the leader admits no writes.
     */
    record TransferLeadership(long requestId, PeerId target, int timeoutTicks)
            implements Event {
        public TransferLeadership {
            if (timeoutTicks < 1) {
                throw new IllegalArgumentException("timeoutTicks must be at least 1: "
                        + timeoutTicks);
            }
        }
    }

    /**
     * The host asked this node, the leader, to change the membership to {@code target} (its
     * version is ignored). Members to be added are connected and synced as non-voting learners
     * first; once every new voter and a quorum of the target's voters are caught up, the
     * change is proposed as a membership txn, which commits with a quorum of the old voters
     * and of the new ones. The answer names {@code requestId}: the txn's delivery here (the
     * change is committed), or at once {@link Outcome.Kind#NOT_LEADER},
     * {@link Outcome.Kind#CHANGE_IN_FLIGHT} or {@link Outcome.Kind#REFUSED} (nothing
     * changed), or {@link Outcome.Kind#REFUSED} when the new members were not caught up within
     * {@code timeoutTicks} (nothing changed).
     */
    record ChangeMembership(long requestId, io.zab.Membership target, int timeoutTicks)
            implements Event {
        public ChangeMembership {
            java.util.Objects.requireNonNull(target, "target");
            if (timeoutTicks < 1) {
                throw new IllegalArgumentException("timeoutTicks must be at least 1: "
                        + timeoutTicks);
            }
        }
    }

    /**
     * The state machine has applied every delivered txn up to {@code zxid}: a coalesced mark from
     * the delivery pipeline, so a leader's in-flight budget also covers its own delivery queue.
     */
    record Applied(Zxid zxid) implements Event {
    }

    /** Every storage action with a sequence number up to {@code seq} is durable. */
    record Persisted(long seq) implements Event {
    }

    /**
     * The snapshot asked for by {@link Action.TakeSnapshot} is kept: taken at {@code zxid},
     * {@code size} bytes of data with CRC32C {@code crc}.
     */
    record SnapshotReady(PeerId learner, Zxid zxid, long size, int crc) implements Event {
    }

    /**
     * A snapshot for {@code learner} could not be taken ({@code zxid} null), or a part of the
     * one at {@code zxid} could not be read: that SNAP cannot go on, and it must sync again.
     */
    record SnapshotFailed(PeerId learner, Zxid zxid, String reason) implements Event {
    }

    /** A part of a kept snapshot read for a learner ({@link Action.ReadSnapshotChunk}). */
    record SnapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) implements Event {
    }

    /**
     * The txns read from the log for {@code learner} after {@code after}
     * ({@link Action.ReadLog}): in order, as the log returned them (the core checks that they
     * continue after {@code after}).
     */
    record LogRead(PeerId learner, Zxid after, java.util.List<Txn> txns) implements Event {
        public LogRead {
            txns = java.util.List.copyOf(txns);
        }
    }

    /**
     * The log could not be read for {@code learner} after {@code after} (an I/O error, or it no
     * longer holds the txn right after it): that learner's sync cannot go on, and it syncs again.
     */
    record LogReadFailed(PeerId learner, Zxid after, String reason) implements Event {
    }

    /**
     * Every snapshot the host keeps has passed {@code upTo}: the log may drop the txns at or
     * below it. The core stops counting them as logged and answers with
     * {@link Action.PurgeLog}, ordered after every read it asked for before.
     */
    record LogPurgeable(Zxid upTo) implements Event {
    }
}
