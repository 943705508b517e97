package io.zab.protocol.sync;

/** How the leader brings a learner's history in line with its own. */
public enum SyncMode {
    /** The learner's history is a prefix of the leader's: send what it lacks. */
    DIFF,
    /** The learner has txns after a common point that the leader lacks: cut them, then diff. */
    TRUNC,
    /** No common point can be proved from memory: send a snapshot, then diff. */
    SNAP
}
