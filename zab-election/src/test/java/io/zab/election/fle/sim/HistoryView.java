package io.zab.election.fle.sim;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A node's durable txn log in the election harness, as zxids only: the first {@code size}
 * entries of a list that only its leader appends to. Followers share the leader's list, so
 * syncing is O(1); a new leader copies its view into a list of its own before it appends.
 */
record HistoryView(List<Zxid> backing, int size) {
    static final HistoryView EMPTY = new HistoryView(List.of(), 0);

    static HistoryView of(List<Zxid> zxids) {
        return new HistoryView(List.copyOf(zxids), zxids.size());
    }

    Zxid last() {
        return size == 0 ? Zxid.ZERO : backing.get(size - 1);
    }

    Zxid get(int index) {
        if (index >= size) {
            throw new IndexOutOfBoundsException(index + " >= " + size);
        }
        return backing.get(index);
    }

    /** Zxids in a log increase, so membership is a binary search. */
    boolean contains(Zxid z) {
        return Collections.binarySearch(backing.subList(0, size), z) >= 0;
    }

    /** A copy the caller may append to with {@link #append}. */
    HistoryView ownCopy() {
        return new HistoryView(new ArrayList<>(backing.subList(0, size)), size);
    }

    /** Appends to an owned list (see {@link #ownCopy}) and returns the longer view. */
    HistoryView append(Zxid z) {
        if (size != backing.size()) {
            throw new IllegalStateException("append to a view that does not own its list");
        }
        if (!last().isFollowedBy(z)) {
            throw new IllegalStateException(z + " cannot follow " + last());
        }
        backing.add(z);
        return new HistoryView(backing, size + 1);
    }

    @Override
    public String toString() {
        return size + " txns up to " + last();
    }
}
