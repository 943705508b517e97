package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * The ACK of NEWLEADER: the learner's history up to {@code zxid} and its currentEpoch are durable.
 */
public record AckNewLeader(long epoch, Zxid zxid) implements Message {
}
