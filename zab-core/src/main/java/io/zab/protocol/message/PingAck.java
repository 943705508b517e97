package io.zab.protocol.message;


/** The reply to {@link Ping}: the sender still follows this leader in this epoch. */
public record PingAck(long epoch, long round) implements Message {
}
