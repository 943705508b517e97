package io.zab.protocol.sync;

import io.zab.Zxid;

/** What the sync planner needs to know of the leader's history. */
public interface HistoryView {
    /** The zxid the in-memory history starts after (txns up to it are only in a snapshot). */
    Zxid base();

    /** The last zxid of the history. */
    Zxid last();

    /** True for the base and for every zxid in the history. */
    boolean contains(Zxid zxid);

    /** The largest zxid of the history (or the base) that is at most {@code zxid}. */
    Zxid floor(Zxid zxid);
}
