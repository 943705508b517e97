package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * TRUNC: the learner must drop every txn after {@code truncZxid}; the leader's txns after it
 * follow, then NEWLEADER.
 */
public record Trunc(long epoch, Zxid truncZxid) implements Message {
}
