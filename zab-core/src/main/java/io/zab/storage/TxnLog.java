package io.zab.storage;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import java.io.IOException;
import java.util.List;

/**
 * The transaction log of one node. Writes are buffered until {@link #sync}; after a crash the log
 * holds every txn appended before the last sync and possibly a prefix of what came after, never
 * a txn out of order. Used by one thread at a time (the log writer), except that reads for
 * recovery happen before it starts.
 */
public interface TxnLog extends AutoCloseable {
    /** The zxid the log starts after: ZERO for a new log, the snapshot zxid after a reset. */
    Zxid base();

    /** The last logged zxid, or {@link #base()} when the log is empty. */
    Zxid lastZxid();

    /** Appends txns that continue the log gaplessly ({@link Zxid#isFollowedBy}). */
    void append(List<Txn> txns) throws IOException;

    /** Drops every txn after {@code lastKept}, which must be the base or a logged zxid. */
    void truncateAfter(Zxid lastKept) throws IOException;

    /** Drops everything; the log restarts after {@code base} (after a snapshot install). */
    void reset(Zxid base) throws IOException;

    /** Makes every earlier append, truncate and reset durable. */
    void sync() throws IOException;

    /** Every logged txn with a zxid above {@code after}, in order. */
    List<Txn> readAfter(Zxid after) throws IOException;

    /**
     * The logged txns with a zxid above {@code after}, in order, as many as fit in
     * {@code maxBytes} of payload, and always the first of them (a txn larger than the bound
     * comes alone); empty when none is logged above {@code after}. The first may not be the txn
     * right after {@code after} (a purge dropped it): the caller checks. This default reads
     * everything and keeps the head; logs override it to read no more than they return.
     *
     * @param maxBytes the most payload bytes returned (beyond one txn), positive
     */
    default List<Txn> readAfter(Zxid after, long maxBytes) throws IOException {
        return boundedPrefix(readAfter(after), maxBytes);
    }

    /** The head of {@code txns} that {@link #readAfter(Zxid, long)} returns for the bound. */
    static List<Txn> boundedPrefix(List<Txn> txns, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        long bytes = 0;
        int n = 0;
        while (n < txns.size() && (n == 0 || bytes + txns.get(n).data().length <= maxBytes)) {
            bytes += txns.get(n).data().length;
            n++;
        }
        return n == txns.size() ? txns : List.copyOf(txns.subList(0, n));
    }

    /**
     * Lets the log drop txns at or below {@code upTo}, which every snapshot the node keeps has
     * passed. A log may drop less or nothing (this default); {@link #base()} rises to at most
     * {@code upTo}. Not part of the crash semantics: a purge lost in a crash just leaves more.
     */
    default void purge(Zxid upTo) throws IOException {
    }

    @Override
    void close() throws IOException;
}
