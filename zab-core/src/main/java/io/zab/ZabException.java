package io.zab;

/**
 * Why a {@code submit} or {@code sync} did not succeed. Each subclass says whether the txn may
 * still be applied: only {@link OutcomeUnknownException} leaves that open.
 */
public class ZabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ZabException(String message) {
        super(message);
    }

    public ZabException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No leader in broadcast is known here; the txn was not applied and never will be. */
    public static final class NotLeaderException extends ZabException {
        private static final long serialVersionUID = 1L;
        private final transient PeerId leaderHint;

        public NotLeaderException(String message, PeerId leaderHint) {
            super(message + (leaderHint == null ? "" : " (leader hint: " + leaderHint + ")"));
            this.leaderHint = leaderHint;
        }

        /** The leader this node knows of, if any: retry there or later. */
        public java.util.Optional<PeerId> leaderHint() {
            return java.util.Optional.ofNullable(leaderHint);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            // Comes in bulk during an election; the stack only shows the node's internals.
            return this;
        }
    }

    /** Leadership changed while the txn was in flight: it may or may not have committed. */
    public static final class OutcomeUnknownException extends ZabException {
        private static final long serialVersionUID = 1L;

        public OutcomeUnknownException(String message) {
            super(message);
        }
    }

    /** The txn is larger than maxTxnBytes; never applied. */
    public static final class TxnTooLargeException extends ZabException {
        private static final long serialVersionUID = 1L;

        public TxnTooLargeException(String message) {
            super(message);
        }
    }

    /** Too much is in flight (a full queue or too many proposals); never applied. */
    public static final class OverloadedException extends ZabException {
        private static final long serialVersionUID = 1L;

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
     * cause is the storage error.
     */
    public static final class RecoveringException extends ZabException {
        private static final long serialVersionUID = 1L;

        public RecoveringException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The node is closed, or stopped for good after a fault it cannot recover from (a broken
     * invariant, a failing state machine, or a storage failure on a node that cannot reopen its
     * stores): the call was refused, and never applied. (Submits still in flight when the
     * node stops get {@link OutcomeUnknownException} instead: the ensemble may commit them.)
     */
    public static final class ClosedException extends ZabException {
        private static final long serialVersionUID = 1L;

        public ClosedException(String message) {
            super(message);
        }

        public ClosedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
