package io.zab.protocol.sync;

import io.zab.Zxid;

/**
 * The sync decision for one learner: the mode and the zxid the learner's history keeps (the
 * leader then sends every txn after it). For SNAP {@code from} is null: the snapshot decides.
 */
public record SyncPlan(SyncMode mode, Zxid from) {
}
