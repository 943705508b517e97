package io.zab.protocol;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.List;

/**
 * What this node's txn log holds, as far as the core can vouch for it: every logged txn after
 * {@link #start()}, up to the last one appended. Within one epoch zxids are gapless, so the log
 * is one range of counters per epoch: a few numbers, whatever its length. The core keeps it in
 * step with every append, truncation and reset it asks of storage, and moves its start forward
 * before the driver may purge ({@link Event.LogPurgeable}); after a restart it starts at the
 * newest snapshot (older txns the log may still hold are not counted: less is never wrong).
 *
 * <p>It describes the log as the storage pipeline orders it: a read asked for after an append is
 * served after that append. One thread: the core's.
 */
final class LogExtent {
    /** One epoch's txns in the log: counters {@code first..last}. */
    private static final class Range {
        final long epoch;
        long first;
        long last;

        Range(long epoch, long first, long last) {
            this.epoch = epoch;
            this.first = first;
            this.last = last;
        }
    }

    private Zxid start;
    /** By ascending epoch; the first may begin mid-epoch (after the start or a purge). */
    private final List<Range> ranges = new ArrayList<>();

    LogExtent(Zxid start, List<Txn> log) {
        this.start = start;
        for (Txn t : log) {
            append(t.zxid());
        }
    }

    /** The zxid the log starts after: it holds every logged txn above it. */
    Zxid start() {
        return start;
    }

    /** The last logged zxid ({@link #start()} when the log is empty). */
    Zxid last() {
        if (ranges.isEmpty()) {
            return start;
        }
        Range r = ranges.get(ranges.size() - 1);
        return new Zxid(r.epoch, r.last);
    }

    void append(Zxid zxid) {
        if (!last().isFollowedBy(zxid)) {
            throw new IllegalStateException("log gap: " + zxid + " after " + last());
        }
        Range r = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (r != null && r.epoch == zxid.epoch()) {
            r.last = zxid.counter();
        } else {
            ranges.add(new Range(zxid.epoch(), zxid.counter(), zxid.counter()));
        }
    }

    /** Every txn after {@code lastKept} is gone; it is the start or a logged zxid at most. */
    void truncateAfter(Zxid lastKept) {
        if (lastKept.isBefore(start)) {
            throw new IllegalStateException("truncate to " + lastKept + " below the log's start "
                    + start);
        }
        while (!ranges.isEmpty()) {
            Range r = ranges.get(ranges.size() - 1);
            if (r.epoch > lastKept.epoch() || (r.epoch == lastKept.epoch()
                    && r.first > lastKept.counter())) {
                ranges.remove(ranges.size() - 1);
            } else {
                if (r.epoch == lastKept.epoch()) {
                    r.last = Math.min(r.last, lastKept.counter());
                }
                break;
            }
        }
    }

    /** The log restarts empty after {@code base} (a snapshot installed). */
    void reset(Zxid base) {
        start = base;
        ranges.clear();
    }

    /**
     * The log may drop its txns at or below {@code upTo}: from now on only those above it count
     * (the start becomes the last logged zxid at most {@code upTo}). Never moves the start back.
     */
    void purge(Zxid upTo) {
        if (!upTo.isAfter(start)) {
            return;
        }
        Zxid newStart = floor(upTo);
        while (!ranges.isEmpty()) {
            Range r = ranges.get(0);
            if (r.epoch < newStart.epoch() || (r.epoch == newStart.epoch()
                    && r.last <= newStart.counter())) {
                ranges.remove(0);
            } else {
                if (r.epoch == newStart.epoch()) {
                    r.first = newStart.counter() + 1;
                }
                break;
            }
        }
        start = newStart;
    }

    /** True for the start and every zxid the log holds. */
    boolean contains(Zxid zxid) {
        if (zxid.equals(start)) {
            return true;
        }
        Range r = rangeOf(zxid.epoch());
        return r != null && zxid.counter() >= r.first && zxid.counter() <= r.last;
    }

    /** The largest logged zxid at most {@code zxid}, or the start when none is. */
    Zxid floor(Zxid zxid) {
        Zxid best = start;
        for (Range r : ranges) {
            if (r.epoch > zxid.epoch() || (r.epoch == zxid.epoch() && r.first > zxid.counter())) {
                break;
            }
            best = new Zxid(r.epoch, r.epoch == zxid.epoch() ? Math.min(r.last, zxid.counter())
                    : r.last);
        }
        return best.isAfter(zxid) ? start : best;
    }

    /** The logged zxid right after {@code zxid} (the start or a logged zxid), or null. */
    Zxid next(Zxid zxid) {
        for (Range r : ranges) {
            if (r.epoch == zxid.epoch() && zxid.counter() >= r.first
                    && zxid.counter() < r.last) {
                return new Zxid(r.epoch, zxid.counter() + 1);
            }
            if (r.epoch > zxid.epoch() || (r.epoch == zxid.epoch() && r.first > zxid.counter())) {
                return new Zxid(r.epoch, r.first);
            }
        }
        return null;
    }

    private Range rangeOf(long epoch) {
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long e = ranges.get(mid).epoch;
            if (e == epoch) {
                return ranges.get(mid);
            } else if (e < epoch) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("log after ").append(start).append(':');
        for (Range r : ranges) {
            b.append(' ').append(new Zxid(r.epoch, r.first)).append("..")
                    .append(new Zxid(r.epoch, r.last));
        }
        return b.toString();
    }
}
