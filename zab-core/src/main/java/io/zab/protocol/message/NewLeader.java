package io.zab.protocol.message;

import io.zab.Zxid;

/** NEWLEADER: the sync stream is complete; the learner's history now ends at {@code lastZxid}. */
public record NewLeader(long epoch, Zxid lastZxid) implements Message {
}
