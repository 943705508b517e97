package io.zab.protocol.message;

import io.zab.Zxid;

/** FOLLOWERINFO: a follower's opening of discovery, with the highest epoch it accepted and its last logged zxid. */
public record FollowerInfo(long acceptedEpoch, Zxid lastZxid) implements Message {
}
