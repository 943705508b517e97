package io.zab.election;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.protocol.message.Notification;
import java.util.Optional;

/**
 * The pluggable leader election. Like the protocol core it is a deterministic state machine: no
 * threads, no clock (time comes as {@link #onTick}), no I/O (messages leave through
 * {@link ElectionContext#send}). {@code ZabCore} owns one instance and calls it only from the
 * protocol thread; it never calls back into the core.
 *
 * <p>Lifecycle: {@link #init} once; then {@link #lookForLeader} each time the node goes LOOKING,
 * {@link #takeDecision} after every call to learn the outcome, and {@link #onSettled} once the
 * node has a role, so the election can answer LOOKING peers with the leader it follows.
 */
public interface LeaderElection {
    void init(ElectionContext context);

    /** Starts a new election with this node's own credentials as its first vote. */
    void lookForLeader(Vote self);

    void onNotification(PeerId from, Notification notification);

    void onTick();

    /** The node took a role outside the election (FOLLOWING, LEADING or OBSERVING). */
    void onSettled(Role role, Vote leader);

    /** The decided leader, once per election; empty while still looking. */
    Optional<PeerId> takeDecision();
}
