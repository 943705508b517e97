package io.zab.protocol.message;


/** REQUEST: a learner forwards a host's write to the leader. */
public record Request(long requestId, byte[] payload) implements Message {
}
