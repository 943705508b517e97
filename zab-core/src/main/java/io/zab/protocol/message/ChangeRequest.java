package io.zab.protocol.message;

import io.zab.Membership;

/**
 * CHANGEREQUEST: a learner forwards a host's membership change to the leader. The leader stages
 * it for up to {@code timeoutTicks}; it is either proposed (a PROPOSAL of the membership txn
 * naming this learner as origin, which completes the caller on delivery) or answered by
 * {@link RequestRefused}. The target's version is ignored.
 */
public record ChangeRequest(long requestId, Membership target, int timeoutTicks)
        implements Message {
    public ChangeRequest {
        java.util.Objects.requireNonNull(target, "target");
        if (timeoutTicks < 1) {
            throw new IllegalArgumentException("timeoutTicks must be at least 1: "
                    + timeoutTicks);
        }
    }
}
