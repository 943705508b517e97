package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * DIFF: the learner's history is a prefix of the leader's; the missing txns follow as proposals,
 * then NEWLEADER.
 */
public record Diff(long epoch, Zxid leaderLastZxid) implements Message {
}
