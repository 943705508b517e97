package io.zab.protocol.message;

/**
 * The leader's answer to a REQUEST it will never propose: the learner fails its caller with the
 * matching error, and the txn was not and never will be applied.
 */
public record RequestRefused(long requestId, Reason reason) implements Message {
    /** Why; each maps to one host exception. Wire codes are fixed. */
    public enum Reason {
        /** The in-flight budget had no room within the request's wait. */
        OVERLOADED(1),
        /** The leader is not (or no longer) in broadcast. */
        NOT_LEADER(2),
        /** The payload exceeds the leader's maxTxnBytes. */
        TOO_LARGE(3),
        /**
         * A membership change: nothing to change, or the new members did not catch up within
         * the timeout.
         */
        CHANGE_REFUSED(4),
        /** A membership change: another change or a leadership transfer is in flight. */
        CHANGE_IN_FLIGHT(5);

        public final byte code;

        Reason(int code) {
            this.code = (byte) code;
        }

        /** The reason for a wire code, or null for an unknown one. */
        public static Reason of(byte code) {
            for (Reason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            return null;
        }
    }
}
