package io.zab.protocol;

import io.zab.Zxid;
import io.zab.protocol.sync.HistoryView;

/**
 * What a leader can sync a learner from: its history in memory and its log on disk together.
 * Both are suffixes of the same history ending at the same last zxid, so their union is the
 * longer of the two; above the in-memory base the history answers, below it the log. One
 * thread: the core's.
 */
final class ServableHistory implements HistoryView {
    private final History history;
    private final LogExtent log;

    ServableHistory(History history, LogExtent log) {
        this.history = history;
        this.log = log;
    }

    @Override
    public Zxid base() {
        return Zxid.min(history.base(), log.start());
    }

    @Override
    public Zxid last() {
        return history.last();
    }

    @Override
    public boolean contains(Zxid zxid) {
        return history.contains(zxid) || log.contains(zxid);
    }

    @Override
    public Zxid floor(Zxid zxid) {
        return zxid.isBefore(history.base()) ? log.floor(zxid) : history.floor(zxid);
    }

    /** Whether the txns after {@code zxid} start below the in-memory history (on disk). */
    boolean onlyInLog(Zxid zxid) {
        return zxid.isBefore(history.base());
    }

    /** The logged zxid right after {@code zxid} (held here), or null. */
    Zxid next(Zxid zxid) {
        if (!onlyInLog(zxid)) {
            Txn t = history.next(zxid);
            return t == null ? null : t.zxid();
        }
        return log.next(zxid);
    }
}
