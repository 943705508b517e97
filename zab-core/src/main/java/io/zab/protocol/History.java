package io.zab.protocol;

import io.zab.Zxid;
import io.zab.protocol.sync.HistoryView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The node's logged history in memory: every txn after {@link #base()}, gapless. The leader
 * serves DIFF and feeds lagging learners from it (and from its log for what is older, see
 * {@link LogExtent}); it is trimmed from the front once applied and past its bounds in txns
 * and payload bytes.
 */
final class History implements HistoryView {
    private Zxid base;
    private final ArrayList<Txn> txns = new ArrayList<>();
    private int start;
    /** Payload bytes of the txns held. */
    private long bytes;
    /**
     * Running payload bytes: {@code cum[i]} counts every txn up to {@code txns[i]} from an
     * arbitrary origin, {@link #cumAtBase} those up to the base; so the bytes between two held
     * zxids are one subtraction.
     */
    private long[] cum = new long[64];
    private long cumAtBase;

    History(Zxid base, List<Txn> log) {
        this.base = base;
        for (Txn t : log) {
            append(t);
        }
    }

    @Override
    public Zxid base() {
        return base;
    }

    @Override
    public Zxid last() {
        return size() == 0 ? base : txns.get(txns.size() - 1).zxid();
    }

    int size() {
        return txns.size() - start;
    }

    /** Payload bytes of the txns held. */
    long bytes() {
        return bytes;
    }

    /** Whether {@code next} may be appended: the history stays gapless. */
    boolean continuesWith(Zxid next) {
        return last().isFollowedBy(next);
    }

    void append(Txn txn) {
        if (!continuesWith(txn.zxid())) {
            throw new IllegalStateException("history gap: " + txn.zxid() + " after " + last());
        }
        int i = txns.size();
        if (i == cum.length) {
            cum = java.util.Arrays.copyOf(cum, i * 2);
        }
        cum[i] = (i == start ? cumAtBase : cum[i - 1]) + txn.data().length;
        txns.add(txn);
        bytes += txn.data().length;
    }

    /** Running bytes up to {@code zxid} (the base's for anything at or below it). */
    private long cumAt(Zxid zxid) {
        int i = firstAfter(zxid) - 1;
        return i >= start ? cum[i] : cumAtBase;
    }

    /** Payload bytes of the txns held after {@code zxid}. */
    long bytesAfter(Zxid zxid) {
        return size() == 0 ? 0 : cum[txns.size() - 1] - cumAt(zxid);
    }

    /** Payload bytes of the held txns after {@code from} up to and including {@code to}. */
    long bytesBetween(Zxid from, Zxid to) {
        return bytesAfter(from) - bytesAfter(to);
    }

    /**
     * The last held zxid whose txns after {@code from} total at most {@code maxBytes}, and at
     * least the first one after {@code from}; {@code from} itself when nothing follows it.
     */
    Zxid lastWithin(Zxid from, long maxBytes) {
        int lo = Math.max(firstAfter(from), start);
        if (lo >= txns.size()) {
            return from;
        }
        long limit = cumAt(from) + maxBytes;
        int hi = txns.size() - 1;
        int best = lo;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cum[mid] <= limit) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return txns.get(best).zxid();
    }

    /** The txn right after {@code zxid}, or null if {@code zxid} is the last (or not held). */
    Txn next(Zxid zxid) {
        if (zxid.isBefore(base)) {
            return null;
        }
        int i = Math.max(firstAfter(zxid), start);
        return i < txns.size() ? txns.get(i) : null;
    }

    @Override
    public boolean contains(Zxid zxid) {
        return zxid.equals(base) || indexOf(zxid) >= 0;
    }

    private int indexOf(Zxid zxid) {
        int lo = start;
        int hi = txns.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = txns.get(mid).zxid().compareTo(zxid);
            if (c == 0) {
                return mid;
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -(lo + 1);
    }

    /** Index of the first txn after {@code zxid}. */
    private int firstAfter(Zxid zxid) {
        int i = indexOf(zxid);
        return i >= 0 ? i + 1 : -(i + 1);
    }

    @Override
    public Zxid floor(Zxid zxid) {
        int i = firstAfter(zxid) - 1;
        return i >= start ? txns.get(i).zxid() : base;
    }

    /** The last zxid held before {@code zxid} (the base when none is). */
    Zxid before(Zxid zxid) {
        int i = indexOf(zxid);
        int j = (i >= 0 ? i : -(i + 1)) - 1;
        return j >= start ? txns.get(j).zxid() : base;
    }

    /** The txns after {@code from} up to and including {@code to}. */
    List<Txn> between(Zxid from, Zxid to) {
        if (from.isBefore(base)) {
            throw new IllegalStateException("txns after " + from + " were trimmed (base " + base
                    + ")");
        }
        int a = Math.max(firstAfter(from), start);
        int b = firstAfter(to);
        if (a >= b) {
            return List.of();
        }
        return Collections.unmodifiableList(new ArrayList<>(txns.subList(a, b)));
    }

    void truncateAfter(Zxid lastKept) {
        if (lastKept.isBefore(base)) {
            throw new IllegalStateException("truncate to " + lastKept + " below base " + base);
        }
        List<Txn> cut = txns.subList(Math.max(firstAfter(lastKept), start), txns.size());
        for (Txn t : cut) {
            bytes -= t.data().length;
        }
        cut.clear();
    }

    void reset(Zxid newBase) {
        base = newBase;
        txns.clear();
        start = 0;
        bytes = 0;
        cumAtBase = 0;
    }

    /**
     * Drops txns from the front while more than {@code maxTxns} or {@code maxBytes} of payload
     * remain, never past {@code keep}. Touches no dropped txn but the last (their sizes are in
     * the running bytes): they are the coldest objects of the heap.
     */
    void trim(int maxTxns, long maxBytes, Zxid keep) {
        int keepEnd = firstAfter(keep); // indexes below it may go
        Txn dropped = null;
        while ((size() > maxTxns || bytes > maxBytes) && start < keepEnd) {
            dropped = txns.get(start);
            bytes -= cum[start] - cumAtBase;
            cumAtBase = cum[start];
            txns.set(start, null);
            start++;
        }
        if (dropped != null) {
            base = dropped.zxid();
        }
        if (start > 1024 && start > txns.size() / 2) {
            System.arraycopy(cum, start, cum, 0, txns.size() - start);
            txns.subList(0, start).clear();
            start = 0;
        }
    }
}
