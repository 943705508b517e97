package io.zab.examples.chaos;

import java.util.Objects;

/**
 * One client operation on one key of the KV store, as the client saw it: a read, a write or a
 * compare-and-set, with when it was invoked and when (if ever) it completed. Values are strings;
 * {@code null} means the key is absent.
 *
 * <ul>
 *   <li>READ: {@code observed} is what it returned (200 value, 404 null).</li>
 *   <li>WRITE: {@code value} is what it wrote.</li>
 *   <li>CAS: set {@code value} if the current value is {@code expected}; a FAILED cas (HTTP
 *       409) reports the value it found in {@code observed}.</li>
 * </ul>
 * An operation that was certainly not applied (HTTP 503, connection refused) is not recorded.
 * One whose outcome is unknown (HTTP 504, a timeout, a connection lost mid-request) has
 * {@link Outcome#UNKNOWN} and no completion time: it may take effect at any point after its
 * invocation, or never.
 *
 * @param client who issued it (for reports)
 * @param invoked nanoseconds on one monotonic clock
 * @param completed nanoseconds on the same clock; {@link Long#MAX_VALUE} when UNKNOWN
 */
public record Op(int client, String key, Kind kind, String value, String expected,
        Outcome outcome, String observed, long invoked, long completed) {

    public enum Kind { READ, WRITE, CAS }

    public enum Outcome { OK, FAILED, UNKNOWN }

    public Op {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.UNKNOWN ? completed != Long.MAX_VALUE : completed < invoked) {
            throw new IllegalArgumentException("bad completion time " + completed + " for "
                    + outcome + " op invoked at " + invoked);
        }
        if (outcome == Outcome.FAILED && kind != Kind.CAS) {
            throw new IllegalArgumentException("only a CAS can fail with a known outcome");
        }
        if (kind == Kind.READ && outcome != Outcome.OK) {
            throw new IllegalArgumentException("a read without an answer has no effect: do not"
                    + " record it");
        }
    }

    public static Op read(int client, String key, String observed, long invoked,
            long completed) {
        return new Op(client, key, Kind.READ, null, null, Outcome.OK, observed, invoked,
                completed);
    }

    public static Op write(int client, String key, String value, long invoked, long completed) {
        return new Op(client, key, Kind.WRITE, value, null, Outcome.OK, null, invoked,
                completed);
    }

    public static Op writeUnknown(int client, String key, String value, long invoked) {
        return new Op(client, key, Kind.WRITE, value, null, Outcome.UNKNOWN, null, invoked,
                Long.MAX_VALUE);
    }

    public static Op cas(int client, String key, String expected, String value, long invoked,
            long completed) {
        return new Op(client, key, Kind.CAS, value, expected, Outcome.OK, null, invoked,
                completed);
    }

    public static Op casFailed(int client, String key, String expected, String value,
            String current, long invoked, long completed) {
        return new Op(client, key, Kind.CAS, value, expected, Outcome.FAILED, current, invoked,
                completed);
    }

    public static Op casUnknown(int client, String key, String expected, String value,
            long invoked) {
        return new Op(client, key, Kind.CAS, value, expected, Outcome.UNKNOWN, null, invoked,
                Long.MAX_VALUE);
    }

    /** Whether this op may change the register (what it writes, if it took effect). */
    boolean writes() {
        return kind != Kind.READ && outcome != Outcome.FAILED;
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case READ -> "read -> " + observed;
            case WRITE -> "write " + value;
            case CAS -> "cas " + expected + " -> " + value
                    + (outcome == Outcome.FAILED ? " refused, found " + observed : "");
        };
        return "c" + client + " " + key + " " + what + " [" + outcome + ", " + invoked + ".."
                + (completed == Long.MAX_VALUE ? "?" : String.valueOf(completed)) + "]";
    }
}
