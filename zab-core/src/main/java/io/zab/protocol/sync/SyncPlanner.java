package io.zab.protocol.sync;

import io.zab.Zxid;

/**
 * Chooses DIFF, TRUNC or SNAP for a learner from its last logged zxid. Pure.
 *
 * <p>It relies on one property of Zab histories: two histories that contain the same zxid are
 * equal up to it (a zxid names one proposal of one leader). So a learner whose last zxid is in
 * the leader's history has a prefix of it (DIFF). A learner whose last zxid is absent is cut back
 * to the last leader zxid of the same epoch below it, because within one epoch both histories
 * are gapless prefixes of the same proposals (TRUNC) — even when its zxid lies numerically
 * inside the leader's window, which is the ZOOKEEPER-1154 bug. When no zxid of that epoch proves
 * a common point, or the learner is older than all the leader can serve, only a snapshot is safe
 * (SNAP).
 *
 * <p>A leader plans on its history in memory and its log on disk together (its
 * {@link HistoryView} answers for both), so the common point may lie below what it keeps in
 * memory; how those txns are sent is the leader's business.
 */
public final class SyncPlanner {
    private SyncPlanner() {
    }

    public static SyncPlan plan(HistoryView history, Zxid learnerLast) {
        if (history.contains(learnerLast)) {
            return new SyncPlan(SyncMode.DIFF, learnerLast);
        }
        if (learnerLast.isBefore(history.base())) {
            return new SyncPlan(SyncMode.SNAP, null);
        }
        Zxid common = history.floor(learnerLast);
        if (common.epoch() == learnerLast.epoch() && common.counter() > 0) {
            return new SyncPlan(SyncMode.TRUNC, common);
        }
        return new SyncPlan(SyncMode.SNAP, null);
    }
}
