package io.zab.protocol.sync;

import io.zab.Zxid;

/**
 * What the sync planner needs to know of the leader's history: what it can serve a learner from
 * (its history in memory, and for a leader its log on disk too).
 */
public interface HistoryView {
    /** The zxid the history starts after (txns up to it are only in a snapshot). */
    Zxid base();

    /** The last zxid of the history. */
    Zxid last();

    /** True for the base and for every zxid in the history. */
    boolean contains(Zxid zxid);

    /** The largest zxid of the history (or the base) that is at most {@code zxid}. */
    Zxid floor(Zxid zxid);
}
