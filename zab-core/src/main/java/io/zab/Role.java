package io.zab;

/** The role a node plays right now; ZooKeeper's server states. */
public enum Role {
    /**
     * Electing a leader; no leader is known. Also what {@link ZabNode#status()} reports while
     * the node is away after a storage failure, or stopped or closed.
     */
    LOOKING,
    /** A voter that follows the elected leader (discovery, synchronization, then broadcast). */
    FOLLOWING,
    /** The elected leader; it serves once established ({@link NodeStatus#broadcasting()}). */
    LEADING,
    /** An observer that follows the leader: it learns what is committed and never votes. */
    OBSERVING
}
