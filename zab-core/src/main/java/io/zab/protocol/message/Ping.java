package io.zab.protocol.message;


/** PING: the leader is alive; {@code round} numbers quorum checks (liveness and sync). */
public record Ping(long epoch, long round) implements Message {
}
