package io.zab.storage.file;

import io.zab.Zxid;
import io.zab.storage.CorruptLogException;
import io.zab.storage.CorruptStorageException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The on-disk format of the transaction log. A segment file is a 40-byte header, then records,
 * then zeros (preallocated space):
 * <pre>
 * header: magic "ZABL" (4) | version (4) | kind (4) | 0 (4) | generation (8) | base zxid (8)
 *         | CRC32C of the 32 bytes before (4) | 0 (4)
 * record: length field (4) | CRC32C (4) | zxid (8) | batch start (4) | payload
 * length field: membership flag (bit 31) | 0 (bit 30) | payload length (bits 0-29)
 * </pre>
 * The flag marks a membership-change txn ({@link io.zab.protocol.Txn#membership()}). It lives in
 * bits the payload length can never use ({@link #MAX_PAYLOAD} is below 2^30), so the records of
 * host txns are byte for byte what version 1 wrote before the flag existed and no record grows.
 * An intact record with bit 30 set was written by nothing we know: that is corruption, not a torn
 * write, and the log refuses to open.
 *
 * <p>The record CRC covers the length field (flag included), zxid, batch start and payload.
 * "Batch start" is the offset in
 * the segment where the writes not yet forced began when the record was written: every record
 * of one group-commit batch carries the same value. Recovery uses it to tell a hole that a power
 * cut may leave inside the last batch (the disk may persist its sectors in any order) from a bad
 * record that some later, hence forced, batch follows (real corruption).
 *
 * <p>The generation and kind make truncation into an older segment and reset atomic: such an
 * operation durably creates one new segment of a higher generation, and recovery derives from the
 * headers alone which older records it supersedes. A {@link Kind#TRUNCATE} segment keeps the
 * records of older generations up to its base; a {@link Kind#RESET} segment drops them all; a
 * {@link Kind#ROLL} segment continues the one before it.
 *
 * <p>Stateless; any thread.
 */
final class LogFormat {
    static final int MAGIC = 0x5A41424C;
    static final int VERSION = 1;
    static final int HEADER_BYTES = 40;
    static final int RECORD_HEADER_BYTES = 20;
    /** Keeps every offset of a segment within an int (the batch start field). */
    static final int MAX_PAYLOAD = (1 << 30) - 1024;
    static final int MAX_SEGMENT_BYTES = 1 << 30;
    static final int MEMBERSHIP_FLAG = 1 << 31;
    /** Flag bits no writer sets; an intact record with one of them is corruption. */
    static final int UNKNOWN_FLAGS = 1 << 30;
    static final int LENGTH_MASK = (1 << 30) - 1;
    static final String PREFIX = "log.";
    static final String TMP_SUFFIX = ".tmp";

    enum Kind {
        ROLL, TRUNCATE, RESET
    }

    record Header(Kind kind, long generation, long base) {
        ByteBuffer encode() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
            b.putInt(MAGIC).putInt(VERSION).putInt(kind.ordinal()).putInt(0);
            b.putLong(generation).putLong(base);
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, 32);
            b.putInt((int) crc.getValue()).putInt(0);
            return b.flip();
        }

        /** The header at the position of {@code b}; {@code file} names it in the error. */
        static Header decode(ByteBuffer b, Path file) throws CorruptStorageException {
            int at = b.position();
            if (b.remaining() < HEADER_BYTES) {
                throw new CorruptStorageException(file, 0, "file shorter than a segment header");
            }
            if (b.getInt(at) != MAGIC) {
                throw new CorruptStorageException(file, 0, "no segment magic");
            }
            CRC32C crc = new CRC32C();
            crc.update(b.array(), b.arrayOffset() + at, 32);
            if ((int) crc.getValue() != b.getInt(at + 32)) {
                throw new CorruptStorageException(file, 0, "segment header fails its CRC");
            }
            int version = b.getInt(at + 4);
            if (version != VERSION) {
                throw new CorruptStorageException(file, 4, "unknown segment version " + version);
            }
            int kind = b.getInt(at + 8);
            if (kind < 0 || kind >= Kind.values().length) {
                throw new CorruptStorageException(file, 8, "unknown segment kind " + kind);
            }
            return new Header(Kind.values()[kind], b.getLong(at + 16), b.getLong(at + 24));
        }

        String fileName() {
            return PREFIX + String.format("%08x.%016x", generation, base);
        }
    }

    private LogFormat() {
    }

    /** The generation and base packed in a segment file name, or null if it is not one. */
    static long[] parseName(String name) {
        if (!name.startsWith(PREFIX) || name.length() != PREFIX.length() + 8 + 1 + 16) {
            return null;
        }
        try {
            long gen = Long.parseUnsignedLong(name.substring(4, 12), 16);
            if (name.charAt(12) != '.') {
                return null;
            }
            long base = Long.parseUnsignedLong(name.substring(13), 16);
            return new long[] {gen, base};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The length field of a record of {@code payloadLen} bytes. */
    static int lengthField(int payloadLen, boolean membership) {
        return membership ? payloadLen | MEMBERSHIP_FLAG : payloadLen;
    }

    /** The payload length in a length field, without the flag bits. */
    static int payloadLength(int lengthField) {
        return lengthField & LENGTH_MASK;
    }

    static boolean isMembership(int lengthField) {
        return (lengthField & MEMBERSHIP_FLAG) != 0;
    }

    /**
     * Throws if the intact record at {@code offset} of {@code file} has flag bits no writer
     * sets: its CRC matched, so the bits were written that way, which no crash explains.
     */
    static void checkFlags(int lengthField, Path file, long offset, long zxid, long prev)
            throws CorruptLogException {
        if ((lengthField & UNKNOWN_FLAGS) != 0) {
            throw new CorruptLogException(file, offset, zxid(prev), "record " + zxid(zxid)
                    + " is intact but its length field 0x" + Integer.toHexString(lengthField)
                    + " has flag bits this version does not know");
        }
    }

    /** CRC32C of the record of {@code payloadLen} bytes whose header starts at {@code off}. */
    static int recordCrc(byte[] header, int off, byte[] payload, int payloadOff,
            int payloadLen) {
        CRC32C crc = new CRC32C();
        crc.update(header, off, 4);
        crc.update(header, off + 8, RECORD_HEADER_BYTES - 8);
        crc.update(payload, payloadOff, payloadLen);
        return (int) crc.getValue();
    }

    /** Unsigned order of packed zxids (an epoch may use the sign bit). */
    static int compare(long a, long b) {
        return Long.compareUnsigned(a, b);
    }

    static boolean follows(long prev, long next) {
        return Zxid.fromLong(prev).isFollowedBy(Zxid.fromLong(next));
    }

    static Zxid zxid(long packed) {
        return Zxid.fromLong(packed);
    }
}
