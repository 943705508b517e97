package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * A learner's answer to SNAPCHUNKs: the data of the snapshot at {@code zxid} is durable here up
 * to {@code offset} (cumulative). It opens the leader's window for more chunks.
 */
public record SnapAck(Zxid zxid, long offset) implements Message {
}
