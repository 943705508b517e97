package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * A learner's answer to SNAP and SNAPCHUNKs: the data of the snapshot at {@code zxid} is durable
 * here up to {@code offset} (cumulative). The answer to SNAP says where the chunks are to start:
 * 0, or after what the learner kept of this very snapshot from a transfer that broke. Later
 * ones open the leader's window for more chunks.
 */
public record SnapAck(Zxid zxid, long offset) implements Message {
}
