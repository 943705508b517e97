package io.zab;

import java.util.Optional;

/**
 * Told each time a node's role changes: LOOKING (electing), FOLLOWING, OBSERVING or LEADING,
 * with this node's epoch and the leader it follows if any, and each time the membership it has
 * delivered changes ({@link #onMembershipChanged}). Called on the node's delivery
 * thread, in order with deliveries; it must return quickly and must not block on the node. An
 * exception thrown here stops the node for good, as one from the {@link StateMachine} does.
 */
@FunctionalInterface
public interface RoleListener {
    /**
     * Called with LOOKING as the node starts, then at each role change.
     *
     * @param role the new role
     * @param epoch the epoch this node was in when its role changed: entering a role, its
     *     current epoch (0 for a blank node), not yet the epoch the new leader establishes,
     *     which {@link NodeStatus#epoch()} shows once agreed
     * @param leader the elected leader (this node's own id when LEADING); empty when LOOKING
     */
    void roleChanged(Role role, long epoch, Optional<PeerId> leader);

    /**
     * Called once this node has delivered a membership-change txn: {@code committed} is the
     * ensemble's membership from then on (its version is that txn's zxid). Called on the
     * delivery thread, in order with deliveries, before the future of the submit that asked
     * for the change (if it was submitted here) completes. A membership txn never reaches the
     * {@link StateMachine}.
     *
     * @param committed the membership the delivered txn made
     */
    default void onMembershipChanged(Membership committed) {
    }
}
