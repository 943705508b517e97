package io.zab.storage.file;

import static io.zab.storage.file.LogFormat.HEADER_BYTES;
import static io.zab.storage.file.LogFormat.RECORD_HEADER_BYTES;

import io.zab.protocol.Txn;
import io.zab.storage.CorruptLogException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One segment file of the log and what the log knows about it in memory: where its records end,
 * its last zxid and a sparse index from zxid to offset, so that reading from a zxid or cutting
 * after one does not scan the log from the start. One thread: the owner of the log.
 */
final class Segment {
    /** One index entry per this many bytes of records. */
    static final int INDEX_SPACING = 4096;

    final Path path;
    final LogFormat.Header header;
    final FileChannel channel;
    /** Offset after the last record (records still in the log's write buffer included). */
    long end = HEADER_BYTES;
    /** The zxid of the last record, packed; the base while the segment is empty. */
    long lastZxid;
    /** How far the file is allocated (preallocation); records may grow it. */
    long fileSize;

    private long[] indexZxids = new long[16];
    private long[] indexOffsets = new long[16];
    private int indexSize;

    Segment(Path path, LogFormat.Header header, FileChannel channel, long fileSize) {
        this.path = path;
        this.header = header;
        this.channel = channel;
        this.lastZxid = header.base();
        this.fileSize = fileSize;
    }

    long base() {
        return header.base();
    }

    boolean isEmpty() {
        return end == HEADER_BYTES;
    }

    /** Records that a record of {@code length} bytes with {@code zxid} sits at {@code offset}. */
    void added(long zxid, long offset, int length) {
        if (indexSize == 0 || offset - indexOffsets[indexSize - 1] >= INDEX_SPACING) {
            if (indexSize == indexZxids.length) {
                indexZxids = Arrays.copyOf(indexZxids, indexSize * 2);
                indexOffsets = Arrays.copyOf(indexOffsets, indexSize * 2);
            }
            indexZxids[indexSize] = zxid;
            indexOffsets[indexSize] = offset;
            indexSize++;
        }
        lastZxid = zxid;
        end = offset + length;
        fileSize = Math.max(fileSize, end);
    }

    /** The offset of a record at or before the first record above {@code zxid}. */
    private long seek(long zxid) {
        int lo = 0;
        int hi = indexSize - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (LogFormat.compare(indexZxids[mid], zxid) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? HEADER_BYTES : indexOffsets[found];
    }

    /**
     * Adds the records above {@code after} to {@code out}, checking each CRC again, while the
     * payloads in {@code out} ({@code outBytes} so far) total at most {@code maxBytes}; the first
     * record of a read is added whatever its size. Returns the payload bytes in {@code out}
     * then, or -1 once a record did not fit (the read is complete: later segments add nothing).
     */
    long readAfter(long after, long maxBytes, long outBytes, List<Txn> out) throws IOException {
        if (LogFormat.compare(lastZxid, after) <= 0) {
            return outBytes;
        }
        long bytes = outBytes;
        long pos = seek(after);
        RecordReader in = new RecordReader(channel, pos, end);
        while (pos < end) {
            int total = in.intactRecord(pos);
            if (total < 0) {
                throw new CorruptLogException(path, pos, LogFormat.zxid(lastZxid),
                        "a record that was intact when the log was opened no longer is");
            }
            long zxid = in.getLong(pos + 8);
            int field = in.getInt(pos);
            LogFormat.checkFlags(field, path, pos, zxid, lastZxid);
            if (LogFormat.compare(zxid, after) > 0) {
                int length = total - RECORD_HEADER_BYTES;
                if (!out.isEmpty() && bytes + length > maxBytes) {
                    return -1;
                }
                int i = in.index(pos) + RECORD_HEADER_BYTES;
                byte[] data = Arrays.copyOfRange(in.array(), i, i + length);
                out.add(new Txn(LogFormat.zxid(zxid), data, LogFormat.isMembership(field)));
                bytes += length;
            }
            pos += total;
        }
        return bytes;
    }

    /**
     * Where to cut to keep only records up to {@code lastKept}: the offset of the first record
     * above it (or {@link #end}) and the zxid of the record before that offset (or the base).
     * Reads only record headers, from the nearest index entry on.
     */
    long[] cutPoint(long lastKept) throws IOException {
        long pos = seek(lastKept);
        RecordReader in = new RecordReader(channel, pos, end);
        long prev = base();
        while (pos < end) {
            if (!in.load(pos, RECORD_HEADER_BYTES)) {
                throw new CorruptLogException(path, pos, LogFormat.zxid(prev),
                        "the segment is shorter than the log knew it to be");
            }
            long zxid = in.getLong(pos + 8);
            if (LogFormat.compare(zxid, lastKept) > 0) {
                break;
            }
            prev = zxid;
            pos += RECORD_HEADER_BYTES + LogFormat.payloadLength(in.getInt(pos));
        }
        return new long[] {pos, prev};
    }

    /**
     * Cuts the file at {@code offset} and makes the cut durable before anything is written
     * after it, then preallocates zeros up to {@code preallocateTo} (if beyond the cut) so that
     * no old record can come back. The in-memory state is the caller's.
     */
    void cutFile(long offset, long preallocateTo) throws IOException {
        channel.truncate(offset);
        channel.force(true);
        fileSize = offset;
        if (preallocateTo > offset) {
            zeroFill(channel, offset, preallocateTo);
            channel.force(false);
            fileSize = preallocateTo;
        }
    }

    static void zeroFill(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(64 * 1024, to - from));
        long pos = from;
        while (pos < to) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
            pos += writeFully(ch, zeros, pos);
        }
    }

    /** Writes all of {@code b} at {@code pos}; returns how many bytes that was. */
    static int writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        int n = b.remaining();
        long at = pos;
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
        return n;
    }

    /** Forgets the records from {@code offset} on; {@code lastKept} is the zxid before it. */
    void cutInMemory(long offset, long lastKept) {
        while (indexSize > 0 && indexOffsets[indexSize - 1] >= offset) {
            indexSize--;
        }
        end = offset;
        lastZxid = lastKept;
    }

    void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path.getFileName() + "[" + LogFormat.zxid(base()) + ".."
                + LogFormat.zxid(lastZxid) + ", end " + end + "]";
    }
}
