package io.zab;

import java.util.Optional;

/**
 * Where a node reports what it does, for the host's metrics system: give one to
 * {@link ZabNode.Builder#metrics}. Every method has a default that does nothing, so an
 * implementation overrides what it records. {@link MetricsRecorder} is a ready one (counters,
 * histograms and last values, also as JMX beans); a host on Micrometer or another library binds
 * its own meters in a few lines (README shows how).
 *
 * <p>Each call names the node, so one instance may serve several nodes in one JVM. Calls come
 * from several of the node's threads at once (protocol, log writer, delivery, snapshot, callers'
 * threads): an implementation must be thread-safe, must not block and should be cheap (it runs
 * on the paths it measures). An exception it throws is logged and otherwise ignored.
 *
 * <p>Gauges (the role's lag and in-flight bytes, learners' lag) are not pushed: read them from
 * {@link ZabNode#status()} when the metrics are scraped.
 */
public interface ZabMetrics {
    /** Records nothing: the default. */
    ZabMetrics NONE = new ZabMetrics() { };

    /** How a leader brings a learner up to date. */
    enum Sync {
        /** The txns the learner misses are sent. */
        DIFF,
        /** The learner cuts its log back to the leader's history first. */
        TRUNC,
        /** The learner is too far behind: the leader's snapshot is sent. */
        SNAP
    }

    /** Why a request was refused, never applied (each maps to a {@link ZabException}). */
    enum Refusal {
        /** {@link ZabException.OverloadedException}. */
        OVERLOADED,
        /** {@link ZabException.NotLeaderException}. */
        NOT_LEADER,
        /** {@link ZabException.TxnTooLargeException}. */
        TXN_TOO_LARGE,
        /** {@link ZabException.RecoveringException}. */
        RECOVERING,
        /** {@link ZabException.ClosedException}. */
        CLOSED
    }

    /**
     * The node took a new role (on its protocol thread).
     *
     * @param node the node reporting
     * @param role its new role
     * @param epoch its epoch as the role begins
     * @param leader the leader it follows or is, when known
     */
    default void roleChanged(PeerId node, Role role, long epoch, Optional<PeerId> leader) {
    }

    /**
     * The node serves again after an election: from the moment it began looking to the moment
     * it is in broadcast (leading an established epoch, or synced with its leader).
     *
     * @param node the node reporting
     * @param nanos how long it was without a leader in broadcast
     */
    default void electionFinished(PeerId node, long nanos) {
    }

    /**
     * Txns were committed and delivered to the state machine here (on the delivery thread).
     *
     * @param node the node reporting
     * @param txns how many
     * @param bytes their payload bytes
     */
    default void committed(PeerId node, int txns, long bytes) {
    }

    /**
     * A txn submitted on this node was committed and delivered here: the time from the call to
     * {@code submit} to its delivery, as its caller sees it.
     *
     * @param node the node reporting
     * @param nanos the latency
     */
    default void commitLatency(PeerId node, long nanos) {
    }

    /**
     * The log writer forced a batch of appends to disk (group commit; on its thread).
     *
     * @param node the node reporting
     * @param nanos how long the force took
     */
    default void fsync(PeerId node, long nanos) {
    }

    /**
     * A snapshot of the state machine was written and kept (on the snapshot thread).
     *
     * @param node the node reporting
     * @param nanos how long writing it took
     * @param bytes its size
     */
    default void snapshotSaved(PeerId node, long nanos, long bytes) {
    }

    /**
     * This node, leading, began to bring a learner up to date.
     *
     * @param node the node reporting (the leader)
     * @param mode how
     * @param learner the learner
     */
    default void syncStarted(PeerId node, Sync mode, PeerId learner) {
    }

    /**
     * A submit or sync on this node was refused, never applied.
     *
     * @param node the node reporting
     * @param reason why
     */
    default void refused(PeerId node, Refusal reason) {
    }

    /**
     * This node's transport refused an incoming connection before it finished its handshake:
     * it failed authentication, named another cluster or an unknown id, sent bytes that are not
     * a handshake, said nothing in time, or came while the pending handshakes were at their
     * limit (on a transport thread).
     *
     * @param node the node reporting
     */
    default void handshakeRefused(PeerId node) {
    }
}
