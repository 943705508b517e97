package io.zab.examples.chaos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the records of a transaction-log segment the way io.zab.storage.file.LogFormat lays
 * them out, for tests that cut or damage a real log file at a record boundary: a 40-byte
 * header, then records of {@code length (4) | CRC32C (4) | zxid (8) | batch start (4) |
 * payload}, then zeros (preallocated space). The length field's top two bits are flags (the
 * top one marks a membership change), the rest the payload's length. Reads from the header on
 * until a zero length field, a length that runs past the file, or the end; it does not check
 * CRCs (the server does).
 *
 * <p>Stateless; any thread.
 */
final class LogRecords {
    static final int HEADER_BYTES = 40;
    static final int RECORD_HEADER_BYTES = 20;
    /** LogFormat.LENGTH_MASK: the payload length without the flag bits. */
    static final int LENGTH_MASK = (1 << 30) - 1;

    /** One record: where it starts, how long it is (header included), its zxid and batch. */
    record Rec(long offset, int total, long zxid, long batchStart) {
        long end() {
            return offset + total;
        }
    }

    private LogRecords() {
    }

    /** The segment files of a data directory's log, oldest first (generation, then base). */
    static List<Path> segments(Path dataDir) throws IOException {
        Path log = dataDir.resolve("log");
        if (!Files.isDirectory(log)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(log)) {
            return files.filter(p -> p.getFileName().toString().matches("log\\.[0-9a-f]{8}"
                    + "\\.[0-9a-f]{16}")).sorted().toList();
        }
    }

    /** The newest segment of {@code dataDir}'s log, or null if it has none. */
    static Path newest(Path dataDir) throws IOException {
        List<Path> all = segments(dataDir);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    static List<Rec> read(Path segment) throws IOException {
        List<Rec> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = HEADER_BYTES;
            ByteBuffer h = ByteBuffer.allocate(RECORD_HEADER_BYTES);
            while (pos + RECORD_HEADER_BYTES <= size) {
                h.clear();
                while (h.hasRemaining() && ch.read(h, pos + h.position()) > 0) {
                    // read the whole record header
                }
                int field = h.getInt(0);
                // A membership record's field is negative (its flag is the sign bit): read
                // as the end, it made NodeDisks punch the live records after the first one.
                int len = field & LENGTH_MASK;
                if (field == 0 || pos + RECORD_HEADER_BYTES + len > size) {
                    break;
                }
                out.add(new Rec(pos, RECORD_HEADER_BYTES + len, h.getLong(8),
                        h.getInt(16) & 0xFFFFFFFFL));
                pos += RECORD_HEADER_BYTES + len;
            }
        }
        return out;
    }

    /** Where the records of {@code segment} end (the header's end if it has none). */
    static long end(Path segment) throws IOException {
        List<Rec> recs = read(segment);
        return recs.isEmpty() ? HEADER_BYTES : recs.get(recs.size() - 1).end();
    }

    /** Every zxid in the log of {@code dataDir}, in file order. */
    static List<Long> zxids(Path dataDir) throws IOException {
        List<Long> out = new ArrayList<>();
        for (Path s : segments(dataDir)) {
            read(s).forEach(r -> out.add(r.zxid()));
        }
        return out;
    }
}
