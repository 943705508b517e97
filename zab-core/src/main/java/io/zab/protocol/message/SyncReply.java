package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * The leader's answer to SYNC: it still leads (a quorum confirmed after the request) and the caller
 * must deliver up to {@code zxid}.
 */
public record SyncReply(long requestId, Zxid zxid) implements Message {
}
