package io.zab.storage.file;

import static io.zab.storage.file.LogFormat.MAX_PAYLOAD;
import static io.zab.storage.file.LogFormat.RECORD_HEADER_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads a segment file through a buffer with positional reads, up to a limit, and checks records.
 * One thread: the owner of the log.
 */
final class RecordReader {
    static final int BUFFER_BYTES = 256 * 1024;

    private final FileChannel channel;
    private final long limit;
    private final byte[] small;
    private byte[] buf;
    private long bufStart = -1;
    private int bufLen;

    /** A reader of [.., limit) that expects to start reading near {@code from}. */
    RecordReader(FileChannel channel, long from, long limit) {
        this.channel = channel;
        this.limit = limit;
        this.small = new byte[(int) Math.max(64, Math.min(BUFFER_BYTES, limit - from))];
        this.buf = small;
    }

    long limit() {
        return limit;
    }

    /** Makes bytes [pos, pos + n) readable; false if they pass the limit or the file's end. */
    boolean load(long pos, int n) throws IOException {
        if (pos < 0 || n < 0 || pos + n > limit) {
            return false;
        }
        if (bufStart >= 0 && pos >= bufStart && pos + n <= bufStart + bufLen) {
            return true;
        }
        // A record larger than the buffer gets a buffer of its own, then we go back to the small.
        buf = n > small.length ? new byte[n] : small;
        int want = (int) Math.min(Math.max(buf.length, n), limit - pos);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, want);
        while (bb.hasRemaining()) {
            if (channel.read(bb, pos + bb.position()) < 0) {
                break;
            }
        }
        bufStart = pos;
        bufLen = bb.position();
        return pos + n <= bufStart + bufLen;
    }

    byte[] array() {
        return buf;
    }

    /** Where {@code pos} is in {@link #array()}; valid after a successful {@link #load}. */
    int index(long pos) {
        return (int) (pos - bufStart);
    }

    int getInt(long pos) {
        int i = index(pos);
        return (buf[i] & 0xFF) << 24 | (buf[i + 1] & 0xFF) << 16 | (buf[i + 2] & 0xFF) << 8
                | (buf[i + 3] & 0xFF);
    }

    long getLong(long pos) {
        return (long) getInt(pos) << 32 | (getInt(pos + 4) & 0xFFFF_FFFFL);
    }

    /**
     * The total length of an intact record at {@code pos} (its length fits the file and its CRC
     * matches), or -1. On success the whole record is loaded. The flag bits of the length field
     * are the caller's to check ({@link LogFormat#checkFlags}).
     */
    int intactRecord(long pos) throws IOException {
        if (!load(pos, RECORD_HEADER_BYTES)) {
            return -1;
        }
        int len = LogFormat.payloadLength(getInt(pos));
        if (len > MAX_PAYLOAD || pos + RECORD_HEADER_BYTES + len > limit) {
            return -1;
        }
        int total = RECORD_HEADER_BYTES + len;
        if (!load(pos, total)) {
            return -1;
        }
        int i = index(pos);
        int crc = LogFormat.recordCrc(buf, i, buf, i + RECORD_HEADER_BYTES, len);
        return crc == getInt(pos + 4) ? total : -1;
    }

    /** True if every byte in [from, limit) is zero (preallocated space, never written). */
    boolean zeroFrom(long from) throws IOException {
        long pos = from;
        while (pos < limit) {
            int n = (int) Math.min(small.length, limit - pos);
            if (!load(pos, n)) {
                return true; // the file ends before the limit: nothing there
            }
            int i = index(pos);
            for (int k = 0; k < n; k++) {
                if (buf[i + k] != 0) {
                    return false;
                }
            }
            pos += n;
        }
        return true;
    }
}
