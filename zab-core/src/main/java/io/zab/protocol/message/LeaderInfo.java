package io.zab.protocol.message;


/**
 * LEADERINFO (NEWEPOCH): the epoch the prospective leader proposes, above every acceptedEpoch of a
 * quorum.
 */
public record LeaderInfo(long epoch) implements Message {
}
