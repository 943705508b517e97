package io.zab.protocol.message;


/** SYNC: a learner forwards a host's sync() to the leader. */
public record SyncRequest(long requestId) implements Message {
}
