package io.zab.storage.file;

import static io.zab.storage.file.LogFormat.HEADER_BYTES;
import static io.zab.storage.file.LogFormat.RECORD_HEADER_BYTES;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.TxnLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction log in segment files under one directory (format in {@link LogFormat}).
 *
 * <p>Appends go to a write buffer and then to the newest segment; {@link #sync} writes what is
 * buffered and forces the segment once (group commit: the log writer calls it once per batch).
 * A segment rolls when the next record would take it past {@link Options#segmentBytes}; the old
 * one is forced first, so only the newest segment ever holds unforced records. New segments are
 * created complete (header and preallocated zeros written and forced under a temp name, then
 * renamed, then the directory forced). With {@link Options#prepareNext} the zeros are written
 * ahead, off the caller's thread ({@link SpareSegment}): a roll writes and forces only the header
 * of the waiting spare before the rename, and creates the segment itself when no spare is ready.
 *
 * <p>{@link #truncateAfter} and {@link #reset} are durable when they return, which the
 * {@link TxnLog} contract allows (a crash keeps a prefix of the operations since the last sync).
 * A truncation inside the newest segment cuts the file and forces the cut before anything is
 * written after it; one into an older segment, and a reset, first durably create a segment of a
 * new generation that supersedes the old records, then tidy up. Either way a crash can never
 * leave later appends durable without the truncation.
 *
 * <p>After any I/O error the log fails: every later call throws, and nothing it did is reported
 * durable (no retry of a failed force: fsyncgate). Reopen it to recover.
 *
 * <p>Not thread-safe: one thread at a time (the log writer), as {@link TxnLog} says.
 */
public final class FileTxnLog implements TxnLog {
    private static final Logger LOG = LoggerFactory.getLogger(FileTxnLog.class);
    private static final int WRITE_BUFFER_BYTES = 256 * 1024;

    /**
     * @param segmentBytes roll to a new segment when a record would take the current one past
     *     this size (a record larger than a whole segment gets one of its own)
     * @param preallocate write zeros over each new segment's full size when creating it, so
     *     appends change no file metadata and a full disk shows up when a segment is created
     * @param force whether {@link #sync} forces the segment; false only for benchmarks that
     *     compare without fsync (nothing is then durable across a power failure)
     * @param prepareNext with {@code preallocate}, make the next segment's file (zeros written
     *     and forced) on a daemon thread of the log's own while the current one fills, so that a
     *     roll does not stall the log writer; the disk then holds one spare segment more
     */
    public record Options(long segmentBytes, boolean preallocate, boolean force,
            boolean prepareNext) {
        /** Forced, and every segment created on the caller's thread. */
        public Options(long segmentBytes, boolean preallocate) {
            this(segmentBytes, preallocate, true, false);
        }

        /**
         * Every segment created on the caller's thread: the order of file operations depends on
         * the caller alone, which the fault-injection tests count on.
         */
        public Options(long segmentBytes, boolean preallocate, boolean force) {
            this(segmentBytes, preallocate, force, false);
        }

        public Options {
            if (segmentBytes < 256 || segmentBytes > LogFormat.MAX_SEGMENT_BYTES) {
                throw new IllegalArgumentException("segmentBytes must be in [256, "
                        + LogFormat.MAX_SEGMENT_BYTES + "]: " + segmentBytes);
            }
        }

        /** 64 MiB segments, preallocated, forced, the next one prepared ahead. */
        public static Options defaults() {
            return new Options(64L << 20, true, true, true);
        }
    }

    private final Path dir;
    private final FileIo io;
    private final Options options;
    private final List<Segment> segments;
    private final ByteBuffer staging = ByteBuffer.allocate(WRITE_BUFFER_BYTES);
    private final byte[] recordHeader = new byte[RECORD_HEADER_BYTES];
    private long generation;
    /** The offset in the newest segment where the staged bytes go. */
    private long stagedAt;
    /** The offset in the newest segment where the writes not yet forced begin. */
    private long unforcedFrom;
    private boolean dirty;
    private IOException failure;
    private boolean closed;
    /** Makes the next segment ahead; null without {@link Options#prepareNext}. */
    private SpareSegment spares;
    private long sparesUsed;

    private FileTxnLog(Path dir, FileIo io, Options options, List<Segment> segments,
            long generation) {
        this.dir = dir;
        this.io = io;
        this.options = options;
        this.segments = segments;
        this.generation = generation;
    }

    /** Opens (or creates) the log in {@code dir}, recovering what a crash left. */
    public static FileTxnLog open(Path dir, Options options) throws IOException {
        return open(dir, options, FileIo.REAL);
    }

    /**
     * As {@link #open(Path, Options)}, doing every file change through {@code io} (the spares'
     * too, on their own thread: {@code io} must then take calls from two threads).
     */
    public static FileTxnLog open(Path dir, Options options, FileIo io) throws IOException {
        return open(dir, options, io, null);
    }

    /**
     * As {@link #open(Path, Options, FileIo)}; with {@link Options#prepareNext}, the spares are
     * made by {@code preparer} if not null (tests decide when a spare is ready), else by a
     * thread of the log's own.
     */
    static FileTxnLog open(Path dir, Options options, FileIo io, Executor preparer)
            throws IOException {
        createDirectory(dir, io);
        LogRecovery.Result r = LogRecovery.recover(dir, io, options);
        FileTxnLog log = new FileTxnLog(dir, io, options, r.segments(),
                Math.max(0, r.maxGeneration()));
        if (log.segments.isEmpty()) {
            log.segments.add(log.createSegment(LogFormat.Kind.RESET, 0, 0));
        }
        log.stagedAt = log.last().end;
        log.unforcedFrom = log.last().end;
        if (options.preallocate() && options.prepareNext()) {
            log.spares = preparer == null
                    ? SpareSegment.onOwnThread(dir, io, options.segmentBytes())
                    : SpareSegment.on(preparer, dir, io, options.segmentBytes());
            log.spares.request();
        }
        return log;
    }

    static void createDirectory(Path dir, FileIo io) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                io.forceDirectory(parent);
            }
        }
    }

    public Path directory() {
        return dir;
    }

    @Override
    public Zxid base() {
        return LogFormat.zxid(segments.get(0).base());
    }

    @Override
    public Zxid lastZxid() {
        return LogFormat.zxid(last().lastZxid);
    }

    /** How many segment files the log has now. */
    public int segmentCount() {
        return segments.size();
    }

    /** How many segments were made from a spare prepared ahead (the rest were made inline). */
    public long sparesUsed() {
        return sparesUsed;
    }

    /** How many spares were completed so far (used or not); 0 without spares. */
    long sparesPrepared() {
        return spares == null ? 0 : spares.preparedCount();
    }

    /** The bytes a txn of {@code payloadBytes} takes in a segment: record header and payload. */
    public static int recordBytes(int payloadBytes) {
        return RECORD_HEADER_BYTES + payloadBytes;
    }

    @Override
    public void append(List<Txn> txns) throws IOException {
        checkUsable();
        Zxid prev = lastZxid();
        for (Txn t : txns) {
            if (!prev.isFollowedBy(t.zxid())) {
                throw new IllegalStateException("append of " + t.zxid() + " after " + prev
                        + " would leave a gap");
            }
            if (t.data().length > LogFormat.MAX_PAYLOAD) {
                throw new IllegalArgumentException("txn " + t.zxid() + " has "
                        + t.data().length + " bytes; the log takes at most "
                        + LogFormat.MAX_PAYLOAD);
            }
            prev = t.zxid();
        }
        try {
            for (Txn t : txns) {
                write(t);
            }
        } catch (IOException e) {
            throw fail("append", e);
        }
    }

    private void write(Txn t) throws IOException {
        byte[] data = t.data();
        int total = RECORD_HEADER_BYTES + data.length;
        Segment seg = last();
        if (!seg.isEmpty() && seg.end + total > options.segmentBytes()) {
            roll();
            seg = last();
        }
        long zxid = t.zxid().toLong();
        ByteBuffer h = ByteBuffer.wrap(recordHeader);
        h.putInt(0, LogFormat.lengthField(data.length, t.membership())).putLong(8, zxid)
                .putInt(16, (int) unforcedFrom);
        h.putInt(4, LogFormat.recordCrc(recordHeader, 0, data, 0, data.length));
        if (staging.remaining() < total) {
            flush();
        }
        if (total <= staging.capacity()) {
            staging.put(recordHeader).put(data);
        } else {
            Segment.writeFully(seg.channel, ByteBuffer.wrap(recordHeader), stagedAt);
            Segment.writeFully(seg.channel, ByteBuffer.wrap(data), stagedAt + RECORD_HEADER_BYTES);
            stagedAt += total;
        }
        seg.added(zxid, seg.end, total);
        dirty = true;
    }

    /** Writes the staged records to the newest segment (not forced). */
    private void flush() throws IOException {
        if (staging.position() > 0) {
            staging.flip();
            stagedAt += Segment.writeFully(last().channel, staging, stagedAt);
            staging.clear();
        }
    }

    private void roll() throws IOException {
        flush();
        Segment old = last();
        old.channel.force(false);
        segments.add(createSegment(LogFormat.Kind.ROLL, old.header.generation(), old.lastZxid));
        stagedAt = HEADER_BYTES;
        unforcedFrom = HEADER_BYTES;
        dirty = false;
    }

    @Override
    public void sync() throws IOException {
        checkUsable();
        if (!dirty) {
            return;
        }
        try {
            flush();
            if (options.force()) {
                last().channel.force(false);
            }
        } catch (IOException e) {
            throw fail("sync", e);
        }
        unforcedFrom = last().end;
        dirty = false;
    }

    @Override
    public void truncateAfter(Zxid lastKept) throws IOException {
        checkUsable();
        if (lastKept.isBefore(base())) {
            throw new IllegalStateException("truncate to " + lastKept + " below base " + base());
        }
        if (!lastKept.isBefore(lastZxid())) {
            return;
        }
        long kept = lastKept.toLong();
        int i = segments.size() - 1;
        while (LogFormat.compare(segments.get(i).base(), kept) > 0) {
            i--;
        }
        try {
            flush();
            Segment s = segments.get(i);
            long[] cut = s.cutPoint(kept);
            if (i == segments.size() - 1) {
                s.cutFile(cut[0], options.preallocate() ? options.segmentBytes() : 0);
                s.cutInMemory(cut[0], cut[1]);
                stagedAt = cut[0];
                unforcedFrom = cut[0];
                dirty = false;
            } else {
                truncateOlder(i, cut[0], cut[1]);
            }
        } catch (IOException e) {
            throw fail("truncate after " + lastKept, e);
        }
    }

    /** Truncates into segment {@code i}, which is not the newest. */
    private void truncateOlder(int i, long offset, long lastKept) throws IOException {
        Segment t = createSegment(LogFormat.Kind.TRUNCATE, generation + 1, lastKept);
        generation++;
        // From here recovery sees the truncation; the rest only does what it would do.
        List<Segment> dropped = new ArrayList<>(segments.subList(i + 1, segments.size()));
        segments.subList(i + 1, segments.size()).clear();
        segments.add(t);
        for (Segment d : dropped) {
            d.close();
            io.delete(d.path);
        }
        Segment s = segments.get(i);
        s.cutFile(offset, 0);
        s.cutInMemory(offset, lastKept);
        io.forceDirectory(dir);
        stagedAt = HEADER_BYTES;
        unforcedFrom = HEADER_BYTES;
        dirty = false;
    }

    @Override
    public void reset(Zxid newBase) throws IOException {
        checkUsable();
        try {
            Segment r = createSegment(LogFormat.Kind.RESET, generation + 1, newBase.toLong());
            generation++;
            List<Segment> dropped = new ArrayList<>(segments);
            segments.clear();
            segments.add(r);
            staging.clear();
            for (Segment d : dropped) {
                d.close();
                io.delete(d.path);
            }
            io.forceDirectory(dir);
        } catch (IOException e) {
            throw fail("reset to " + newBase, e);
        }
        stagedAt = HEADER_BYTES;
        unforcedFrom = HEADER_BYTES;
        dirty = false;
    }

    /**
     * Deletes the oldest segments while the next one starts at or before {@code upTo}, so the
     * log keeps every txn above {@code upTo}; {@link #base()} becomes the oldest kept segment's
     * base. Each deletion is forced before the next, so a crash leaves a suffix of the chain.
     */
    @Override
    public void purge(Zxid upTo) throws IOException {
        checkUsable();
        long limit = upTo.toLong();
        try {
            while (segments.size() > 1 && LogFormat.compare(segments.get(1).base(), limit) <= 0) {
                Segment s = segments.remove(0);
                s.close();
                io.delete(s.path);
                io.forceDirectory(dir);
            }
        } catch (IOException e) {
            throw fail("purge up to " + upTo, e);
        }
    }

    @Override
    public List<Txn> readAfter(Zxid after) throws IOException {
        return read(after, Long.MAX_VALUE);
    }

    /** Reads from the segments that hold the txns above {@code after}, and no further. */
    @Override
    public List<Txn> readAfter(Zxid after, long maxBytes) throws IOException {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        return read(after, maxBytes);
    }

    private List<Txn> read(Zxid after, long maxBytes) throws IOException {
        checkUsable();
        List<Txn> out = new ArrayList<>();
        long a = after.toLong();
        try {
            flush();
            long bytes = 0;
            for (int i = 0; i < segments.size() && bytes >= 0; i++) {
                bytes = segments.get(i).readAfter(a, maxBytes, bytes, out);
            }
        } catch (IOException e) {
            throw fail("read after " + after, e);
        }
        return out;
    }

    /** Closes the files; what was appended but not synced may or may not survive. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (spares != null) {
            spares.close();
        }
        IOException first = null;
        if (failure == null) {
            try {
                flush();
            } catch (IOException e) {
                first = e;
            }
        }
        for (Segment s : segments) {
            try {
                s.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Creates a segment complete and durable, from a ready spare if there is one. */
    private Segment createSegment(LogFormat.Kind kind, long gen, long base) throws IOException {
        LogFormat.Header h = new LogFormat.Header(kind, gen, base);
        Path file = dir.resolve(h.fileName());
        Segment s = spares == null ? null : fromSpare(h, file);
        if (s == null) {
            s = createInline(h, file);
        }
        if (spares != null) {
            spares.request();
        }
        return s;
    }

    /**
     * Makes the segment from the spare if one is ready: header written and forced (so no named
     * segment ever lacks its header), renamed, directory forced. Null if no spare is ready, or
     * if using it failed before the rename: the spare is a file of its own, dropped whole, and
     * the caller creates the segment inline (where a full disk or a bad disk fails the log).
     */
    private Segment fromSpare(LogFormat.Header h, Path file) throws IOException {
        SpareSegment.Spare spare = spares.take();
        if (spare == null) {
            return null;
        }
        try {
            Segment.writeFully(spare.channel(), h.encode(), 0);
            spare.channel().force(false);
            io.move(spare.path(), file);
        } catch (IOException e) {
            LOG.warn("cannot use the spare log segment {} for {} ({}); creating it inline",
                    spare.path(), file, e.toString());
            spares.discard(spare);
            return null;
        }
        try {
            io.forceDirectory(dir);
        } catch (IOException e) {
            try {
                spare.channel().close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IOException("cannot create log segment " + file + ": " + e.getMessage(),
                    e);
        }
        sparesUsed++;
        return new Segment(file, h, spare.channel(), options.segmentBytes());
    }

    private Segment createInline(LogFormat.Header h, Path file) throws IOException {
        Path tmp = dir.resolve(h.fileName() + LogFormat.TMP_SUFFIX);
        FileChannel ch = io.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long size = HEADER_BYTES;
        try {
            Segment.writeFully(ch, h.encode(), 0);
            if (options.preallocate()) {
                Segment.zeroFill(ch, HEADER_BYTES, options.segmentBytes());
                size = options.segmentBytes();
            }
            ch.force(true);
            io.move(tmp, file);
            io.forceDirectory(dir);
        } catch (IOException e) {
            try {
                ch.close();
                io.delete(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IOException("cannot create log segment " + file + ": " + e.getMessage(),
                    e);
        }
        return new Segment(file, h, ch, size);
    }

    private Segment last() {
        return segments.get(segments.size() - 1);
    }

    private void checkUsable() throws IOException {
        if (closed) {
            throw new IllegalStateException("transaction log in " + dir + " is closed");
        }
        if (failure != null) {
            throw new IOException("transaction log in " + dir + " failed earlier and accepts"
                    + " nothing more (reopen it to recover): " + failure.getMessage(), failure);
        }
    }

    private IOException fail(String what, IOException e) {
        failure = e;
        if (e instanceof CorruptStorageException) {
            return e; // already names the file, the offset and what to do
        }
        return new IOException("transaction log in " + dir + ": " + what + " failed, and the"
                + " log accepts nothing more (reopen it to recover): " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "FileTxnLog[" + dir + ", " + segments + "]";
    }
}
