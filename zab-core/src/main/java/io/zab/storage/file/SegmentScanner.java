package io.zab.storage.file;

import static io.zab.storage.file.LogFormat.HEADER_BYTES;
import static io.zab.storage.file.LogFormat.MAX_PAYLOAD;
import static io.zab.storage.file.LogFormat.RECORD_HEADER_BYTES;

import io.zab.storage.CorruptLogException;
import java.io.IOException;

/**
 * Reads one segment at start-up: checks every record (CRC, flags, zxid continuity, batch start)
 * up to the first one that is not intact, and fills the segment's in-memory state. What lies
 * after that point is judged by {@link LogRecovery}, which knows the segment's place in the
 * chain. One thread: the one opening the log.
 */
final class SegmentScanner {
    /** What lies after the last intact record of a segment. */
    enum Tail {
        /** Nothing, or zeros: the preallocated end. */
        CLEAN,
        /** Non-zero bytes: a torn write, garbage, or a damaged record. */
        DIRTY,
        /** Records past the cap of a later truncation, which the cut has not removed yet. */
        SUPERSEDED
    }

    /** What a look past a bad record found: the first intact record of a later batch, if any. */
    record Resync(long laterBatchOffset, long laterBatchZxid, int sameBatchRecords) {
        boolean foundLaterBatch() {
            return laterBatchOffset >= 0;
        }
    }

    private SegmentScanner() {
    }

    /**
     * Scans {@code seg}, stopping after the record with zxid {@code cap} if {@code capped}.
     * Intact records that do not fit (a zxid that does not follow, a batch start that goes back)
     * are corruption no crash can cause.
     */
    static Tail scan(Segment seg, boolean capped, long cap) throws IOException {
        RecordReader in = new RecordReader(seg.channel, HEADER_BYTES, seg.fileSize);
        long pos = HEADER_BYTES;
        long prev = seg.base();
        long prevBatch = HEADER_BYTES;
        while (!(capped && prev == cap)) {
            int total = in.intactRecord(pos);
            if (total < 0) {
                break;
            }
            long zxid = in.getLong(pos + 8);
            long batch = in.getInt(pos + 16);
            LogFormat.checkFlags(in.getInt(pos), seg.path, pos, zxid, prev);
            if (!LogFormat.follows(prev, zxid)) {
                throw new CorruptLogException(seg.path, pos, LogFormat.zxid(prev), "record "
                        + LogFormat.zxid(zxid) + " is intact but does not follow the one before");
            }
            if (batch < prevBatch || batch > pos) {
                throw new CorruptLogException(seg.path, pos, LogFormat.zxid(prev), "record "
                        + LogFormat.zxid(zxid) + " is intact but has batch start " + batch);
            }
            seg.added(zxid, pos, total);
            prev = zxid;
            prevBatch = batch;
            pos += total;
        }
        if (in.zeroFrom(pos)) {
            return Tail.CLEAN;
        }
        return capped && prev == cap ? Tail.SUPERSEDED : Tail.DIRTY;
    }

    /**
     * Looks past the bad bytes at {@code bad} (after the record {@code prev}) for intact records
     * above {@code prev}. One that belongs to a later group-commit batch (its batch start lies
     * after {@code bad}) proves that the batch holding {@code bad} had been forced: real
     * corruption. Intact records of the same batch only are what a power cut during that batch's
     * write can leave, since a disk may persist a write's sectors in any order.
     */
    static Resync resync(Segment seg, long bad, long prev) throws IOException {
        RecordReader in = new RecordReader(seg.channel, bad, seg.fileSize);
        int sameBatch = 0;
        long p = bad + 1;
        while (p + RECORD_HEADER_BYTES <= seg.fileSize) {
            if (!in.load(p, RECORD_HEADER_BYTES)) {
                break;
            }
            int total = plausible(in, p, seg.fileSize, prev) ? in.intactRecord(p) : -1;
            if (total < 0) {
                p++;
                continue;
            }
            long batch = in.getInt(p + 16);
            if (batch > bad) {
                return new Resync(p, in.getLong(p + 8), sameBatch);
            }
            sameBatch++;
            p += total;
        }
        return new Resync(-1, 0, sameBatch);
    }

    /** Cheap checks before a CRC: length fits, batch start before the record, zxid ahead. */
    private static boolean plausible(RecordReader in, long p, long limit, long prev) {
        int len = LogFormat.payloadLength(in.getInt(p));
        if (len > MAX_PAYLOAD || p + RECORD_HEADER_BYTES + len > limit) {
            return false;
        }
        long batch = in.getInt(p + 16);
        return batch >= HEADER_BYTES && batch <= p
                && LogFormat.compare(in.getLong(p + 8), prev) > 0;
    }
}
