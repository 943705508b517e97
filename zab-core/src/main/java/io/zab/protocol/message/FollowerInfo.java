package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * FOLLOWERINFO: a follower's opening of discovery, with the highest epoch it accepted and its
 * last logged zxid. {@code abstains}: the follower started blank to join an existing cluster and
 * was never synced, so its acceptedEpoch says nothing about the epochs it promised before it
 * lost its disk; the leader syncs it but does not count it toward the discovery quorum.
 */
public record FollowerInfo(long acceptedEpoch, Zxid lastZxid, boolean abstains)
        implements Message {

    public FollowerInfo(long acceptedEpoch, Zxid lastZxid) {
        this(acceptedEpoch, lastZxid, false);
    }
}
