package io.zab.storage.memory;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.TxnLog;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A transaction log in memory that models a disk: what was not synced is lost by
 * {@link #crash}, or, with a random source, a prefix of it survives and the last append may be
 * torn. For tests, the simulator and demos. One thread.
 */
public final class MemoryTxnLog implements TxnLog {
    private sealed interface Op {
    }

    private record AppendOp(List<Txn> txns) implements Op {
    }

    private record TruncateOp(Zxid lastKept) implements Op {
    }

    private record ResetOp(Zxid base) implements Op {
    }

    private Zxid durableBase = Zxid.ZERO;
    private final List<Txn> durable = new ArrayList<>();
    private Zxid base = Zxid.ZERO;
    private final List<Txn> txns = new ArrayList<>();
    private final List<Op> unsynced = new ArrayList<>();

    @Override
    public Zxid base() {
        return base;
    }

    @Override
    public Zxid lastZxid() {
        return txns.isEmpty() ? base : txns.get(txns.size() - 1).zxid();
    }

    @Override
    public void append(List<Txn> batch) {
        Zxid prev = lastZxid();
        for (Txn t : batch) {
            if (!prev.isFollowedBy(t.zxid())) {
                throw new IllegalStateException("append of " + t.zxid() + " after " + prev
                        + " would leave a gap");
            }
            prev = t.zxid();
        }
        List<Txn> copy = List.copyOf(batch);
        txns.addAll(copy);
        unsynced.add(new AppendOp(copy));
    }

    @Override
    public void truncateAfter(Zxid lastKept) {
        applyTruncate(base, txns, lastKept);
        unsynced.add(new TruncateOp(lastKept));
    }

    private static void applyTruncate(Zxid base, List<Txn> list, Zxid lastKept) {
        if (lastKept.isBefore(base)) {
            throw new IllegalStateException("truncate to " + lastKept + " below base " + base);
        }
        int keep = 0;
        while (keep < list.size() && !list.get(keep).zxid().isAfter(lastKept)) {
            keep++;
        }
        list.subList(keep, list.size()).clear();
    }

    @Override
    public void reset(Zxid newBase) {
        base = newBase;
        txns.clear();
        unsynced.add(new ResetOp(newBase));
    }

    @Override
    public void sync() {
        durableBase = base;
        durable.clear();
        durable.addAll(txns);
        unsynced.clear();
    }

    @Override
    public List<Txn> readAfter(Zxid after) {
        return readAfter(after, Long.MAX_VALUE);
    }

    @Override
    public List<Txn> readAfter(Zxid after, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        List<Txn> out = new ArrayList<>();
        long bytes = 0;
        for (int i = firstAbove(txns, after); i < txns.size(); i++) {
            Txn t = txns.get(i);
            if (!out.isEmpty() && bytes + t.data().length > maxBytes) {
                break;
            }
            out.add(t);
            bytes += t.data().length;
        }
        return out;
    }

    /** The index of the first txn of {@code list} above {@code zxid}. */
    private static int firstAbove(List<Txn> list, Zxid zxid) {
        int lo = 0;
        int hi = list.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (list.get(mid).zxid().isAfter(zxid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * Drops the txns at or below {@code upTo}, from what is logged and from what a crash keeps
     * alike: a purge is no part of the crash semantics (the runtime purges only txns that every
     * kept snapshot has passed, synced long before). Each base rises to the last txn it dropped.
     */
    @Override
    public void purge(Zxid upTo) {
        int n = firstAbove(txns, upTo);
        if (n > 0) {
            base = txns.get(n - 1).zxid();
            txns.subList(0, n).clear();
        }
        int d = firstAbove(durable, upTo);
        if (d > 0) {
            durableBase = durable.get(d - 1).zxid();
            durable.subList(0, d).clear();
        }
    }

    /** Loses everything not synced, as a power loss would. */
    public void crash() {
        unsynced.clear();
        base = durableBase;
        txns.clear();
        txns.addAll(durable);
    }

    /**
     * Loses a random suffix of what was not synced: each earlier operation survives or the crash
     * falls before it, and an append may survive only in part (a torn write).
     */
    public void crash(RandomGenerator random) {
        int survive = random.nextInt(unsynced.size() + 1);
        List<Op> ops = List.copyOf(unsynced.subList(0, survive));
        Op torn = survive < unsynced.size() ? unsynced.get(survive) : null;
        crash();
        for (Op op : ops) {
            replay(op);
        }
        if (torn instanceof AppendOp a && !a.txns().isEmpty()) {
            replay(new AppendOp(a.txns().subList(0, random.nextInt(a.txns().size()))));
        }
        sync();
    }

    private void replay(Op op) {
        if (op instanceof AppendOp a) {
            txns.addAll(a.txns());
        } else if (op instanceof TruncateOp t) {
            applyTruncate(base, txns, t.lastKept());
        } else if (op instanceof ResetOp r) {
            base = r.base();
            txns.clear();
        }
    }

    /** The txns that would survive a crash now. */
    public List<Txn> durableTxns() {
        return List.copyOf(durable);
    }

    public Zxid durableBase() {
        return durableBase;
    }

    @Override
    public void close() {
    }
}
