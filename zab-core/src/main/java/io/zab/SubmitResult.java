package io.zab;

/**
 * A txn committed and delivered on this node: its zxid and what the state machine returned.
 *
 * @param zxid the txn's zxid
 * @param value what {@link StateMachine#deliver} returned for it on this node (may be null)
 */
public record SubmitResult(Zxid zxid, Object value) {
}
