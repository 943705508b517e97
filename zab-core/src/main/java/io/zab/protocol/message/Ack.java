package io.zab.protocol.message;

import io.zab.Zxid;

/** ACK: cumulative; every proposal of this epoch up to {@code zxid} is durable on the sender. */
public record Ack(Zxid zxid) implements Message {
}
