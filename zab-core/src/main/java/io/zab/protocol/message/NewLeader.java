package io.zab.protocol.message;

import io.zab.Membership;
import io.zab.Zxid;

/**
 * NEWLEADER: the sync stream is complete; the learner's history now ends at {@code lastZxid}.
 * {@code membership} is the leader's committed membership (null stands for none and is sent as
 * an empty one; the core always fills it in once membership change is wired, issue 17).
 */
public record NewLeader(long epoch, Zxid lastZxid, Membership membership) implements Message {
    /** Without a membership, for the callers written before it existed. */
    public NewLeader(long epoch, Zxid lastZxid) {
        this(epoch, lastZxid, null);
    }
}
