package io.zab;

/**
 * Why a {@code submit} or {@code sync} did not succeed (and, as {@link ClosedException}, why
 * {@code whenReady} never will). Each subclass says whether the txn may still be applied: only
 * {@link OutcomeUnknownException} leaves that open. Unchecked; a future fails with it.
 */
public class ZabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what went wrong
     */
    public ZabException(String message) {
        super(message);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public ZabException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * No leader in broadcast was reached: none when an untimed call came (it fails at once),
     * none within a timed call's wait, or the leader stepped down before it took the request or
     * before the sync completed. The txn was not applied and never will be; retry after a short
     * pause.
     */
    public static final class NotLeaderException extends ZabException {
        private static final long serialVersionUID = 1L;
        private final transient PeerId leaderHint;

        /**
         * An exception naming the leader when one is known.
         *
         * @param message why
         * @param leaderHint the leader this node knows of, or null; when given, the message
         *     ends with {@code (leader hint: id)}
         */
        public NotLeaderException(String message, PeerId leaderHint) {
            super(message + (leaderHint == null ? "" : " (leader hint: " + leaderHint + ")"));
            this.leaderHint = leaderHint;
        }

        /**
         * The leader this node knows of, if any: retry there or later.
         *
         * @return the leader's id, or empty when none is known
         */
        public java.util.Optional<PeerId> leaderHint() {
            return java.util.Optional.ofNullable(leaderHint);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            // Comes in bulk during an election; the stack only shows the node's internals.
            return this;
        }
    }

    /**
     * The txn was in flight (proposed, forwarded or queued) when the leader changed, this node's
     * storage failed, or the node was closed or stopped: the rest of the ensemble may or may not
     * commit it. Read back (after a {@code sync}) before retrying, or make the txn idempotent.
     */
    public static final class OutcomeUnknownException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message why the outcome is unknown
         */
        public OutcomeUnknownException(String message) {
            super(message);
        }
    }

    /**
     * The txn is larger than {@link ZabConfig#maxTxnBytes()} (this node's, or the leader's);
     * never applied. Split it or raise the limit.
     */
    public static final class TxnTooLargeException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message the size and the limit
         */
        public TxnTooLargeException(String message) {
            super(message);
        }
    }

    /**
     * No room within the call's wait: in this node's pending budget
     * ({@link ZabConfig#pendingMaxTxns()}, {@link ZabConfig#pendingMaxBytes()}), in the leader's
     * in-flight budget ({@link ZabConfig#proposalsInflightMax()},
     * {@link ZabConfig#proposalsInflightMaxBytes()}), or in what a follower may have forwarded
     * and not yet seen proposed (the same two limits; for a tick after the leader refused a write
     * for lack of room, a follower also fails untimed writes at once). Never applied; back off
     * and retry, here or elsewhere.
     */
    public static final class OverloadedException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message which budget was full
         */
        public OverloadedException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            // Expected under load, one per refused call, when CPU is scarcest; the message says
            // which budget was full and the stack only shows the node's internals.
            return this;
        }
    }

    /**
     * This node's storage failed: it left the ensemble and is reopening its data directory to
     * rejoin as a follower. Never applied by this call; retry later or on another member. The
     * cause, if any, is the storage error.
     */
    public static final class RecoveringException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message and the storage error.
         *
         * @param message what failed
         * @param cause the storage error, or null
         */
        public RecoveringException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The node is closed, or stopped for good after a fault it cannot recover from (a broken
     * invariant, a failing state machine, or a storage failure on a node that cannot reopen its
     * stores): the call was refused, and never applied. (Submits still in flight when the
     * node stops get {@link OutcomeUnknownException} instead: the ensemble may commit them.)
     * Use another member.
     */
    public static final class ClosedException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message which node, and why
         */
        public ClosedException(String message) {
            super(message);
        }

        /**
         * An exception with a message and a cause.
         *
         * @param message which node, and why
         * @param cause the fault that stopped the node
         */
        public ClosedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A leadership transfer was refused at once: the target is this node, not a member, an
     * observer, or not a follower connected to the leader in broadcast; or another transfer is
     * running. Nothing changed; fix the request, or retry once the target has caught up.
     */
    public static final class TransferRefusedException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message why the transfer was refused
         */
        public TransferRefusedException(String message) {
            super(message);
        }
    }

    /**
     * A leadership transfer did not complete within its timeout: the target was not seen
     * leading. Either the old leader still leads (the target never caught up; it takes writes
     * again) or the ensemble elects a leader as after any leader loss. No txn was lost or
     * applied by the transfer; look at {@code ZabNode#leader()} and retry if needed.
     */
    public static final class TransferTimeoutException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message what was waited for
         */
        public TransferTimeoutException(String message) {
            super(message);
        }
    }

    /**
     * A membership change was refused: the members to be added were not connected and caught
     * up within the timeout, or the change is none (the membership is that already). Nothing
     * changed; start the new members (or fix the request) and retry.
     */
    public static final class MembershipChangeRefusedException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message why the change was refused
         */
        public MembershipChangeRefusedException(String message) {
            super(message);
        }
    }

    /**
     * Another membership change or a leadership transfer is in flight; at most one runs at a
     * time. Nothing changed; retry once it is done.
     */
    public static final class ChangeInFlightException extends ZabException {
        private static final long serialVersionUID = 1L;

        /**
         * An exception with a message.
         *
         * @param message what is in flight
         */
        public ChangeInFlightException(String message) {
            super(message);
        }
    }
}
