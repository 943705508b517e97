package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * ACKEPOCH: the learner accepted (and made durable) the epoch; it reports its current epoch and
 * last logged zxid.
 */
public record AckEpoch(long epoch, long currentEpoch, Zxid lastZxid) implements Message {
}
