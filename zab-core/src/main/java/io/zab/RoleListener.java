package io.zab;

import java.util.Optional;

/**
 * Told each time a node's role changes: LOOKING (electing), FOLLOWING, OBSERVING or LEADING,
 * with the epoch and the leader it follows if any. Called on the node's delivery thread, in
 * order with deliveries; it must return quickly and must not block on the node.
 */
@FunctionalInterface
public interface RoleListener {
    void roleChanged(Role role, long epoch, Optional<PeerId> leader);
}
