package io.zab;

/** A txn committed and delivered on this node: its zxid and what the state machine returned. */
public record SubmitResult(Zxid zxid, Object value) {
}
