package io.zab;

/** The role a node plays right now; ZooKeeper's server states. */
public enum Role {
    LOOKING,
    FOLLOWING,
    LEADING,
    OBSERVING
}
