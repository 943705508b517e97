package io.zab.protocol.message;

import io.zab.PeerId;
import io.zab.Zxid;

/**
 * A leader hands its leadership over (leadership transfer). It sends this, after its last
 * COMMIT, to each learner in broadcast and then stops leading: it proposes and commits nothing
 * more in {@code epoch}. {@code zxid} is its last txn, which {@code target} has acknowledged
 * and a quorum holds. The target leaves following and leads, starting with discovery as any
 * elected leader; every other learner follows the target.
 *
 * <p>Only a hint for who leads next: safety rests on discovery, as after any election (the
 * target proposes an epoch above every acceptedEpoch of a quorum and steps down if a learner of
 * that quorum is ahead of it). If the target does not take over, its learners time out and
 * elect a leader as usual.
 */
public record Takeover(long epoch, Zxid zxid, PeerId target) implements Message {
}
