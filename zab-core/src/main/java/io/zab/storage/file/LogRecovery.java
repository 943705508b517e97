package io.zab.storage.file;

import static io.zab.storage.file.LogFormat.HEADER_BYTES;

import io.zab.storage.CorruptLogException;
import io.zab.storage.CorruptStorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the segments of a log directory at start-up and works out the log they hold:
 * <ol>
 *   <li>from the headers alone, which segments a later reset or truncation superseded
 *       ({@link LogFormat});</li>
 *   <li>scans the others in order, checking every record and that each segment starts where the
 *       one before ends;</li>
 *   <li>judges what follows the last intact record of each: zeros are the preallocated end; in
 *       the newest segment, a torn write of the last batch is cut with one WARN; anything that
 *       hides records the log goes on with is a {@link CorruptLogException};</li>
 *   <li>finishes what a crash interrupted: deletes superseded segments and temp files, cuts
 *       torn tails and superseded records, and forces the directory.</li>
 * </ol>
 * One thread: the one opening the log.
 */
final class LogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    /** The live segments in log order, and the highest generation seen on disk. */
    record Result(List<Segment> segments, long maxGeneration) {
    }

    private final Path dir;
    private final FileIo io;
    private final FileTxnLog.Options options;
    private final List<Segment> all = new ArrayList<>();
    private final List<Path> junk = new ArrayList<>();

    private LogRecovery(Path dir, FileIo io, FileTxnLog.Options options) {
        this.dir = dir;
        this.io = io;
        this.options = options;
    }

    static Result recover(Path dir, FileIo io, FileTxnLog.Options options) throws IOException {
        LogRecovery r = new LogRecovery(dir, io, options);
        try {
            return r.run();
        } catch (IOException | RuntimeException e) {
            for (Segment s : r.all) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private Result run() throws IOException {
        openAll();
        all.sort(Comparator.comparingLong((Segment s) -> s.header.generation())
                .thenComparing(Segment::base, Long::compareUnsigned));
        long maxGen = all.isEmpty() ? -1 : all.get(all.size() - 1).header.generation();
        List<Segment> live = new ArrayList<>();
        List<Long> caps = new ArrayList<>();
        for (Segment s : all) {
            Long cap = capOf(s);
            if (cap != null && cap == Long.MIN_VALUE) {
                junk.add(s.path);
            } else {
                live.add(s);
                caps.add(cap);
            }
        }
        checkKinds(live);
        List<Segment> toCut = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            Segment s = live.get(i);
            Long cap = caps.get(i);
            SegmentScanner.Tail tail = SegmentScanner.scan(s, cap != null, cap == null ? 0 : cap);
            Segment next = i + 1 < live.size() ? live.get(i + 1) : null;
            if (judge(s, tail, next)) {
                toCut.add(s);
            }
        }
        tidy(live, toCut);
        return new Result(live, maxGen);
    }

    private void openAll() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, LogFormat.PREFIX + "*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(LogFormat.TMP_SUFFIX)) {
                    junk.add(f); // a segment whose creation a crash interrupted
                } else if (LogFormat.parseName(name) != null) {
                    all.add(openSegment(f));
                }
            }
        }
    }

    private Segment openSegment(Path f) throws IOException {
        FileChannel ch = io.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
            while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                // read the whole header
            }
            LogFormat.Header h = LogFormat.Header.decode(b.flip(), f);
            long[] named = LogFormat.parseName(f.getFileName().toString());
            if (named[0] != h.generation() || named[1] != h.base()) {
                throw new CorruptStorageException(f, 0, "the header says generation "
                        + h.generation() + " base " + LogFormat.zxid(h.base())
                        + ", the file name says otherwise");
            }
            return new Segment(f, h, ch, ch.size());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The zxid after which a later truncation superseded this segment's records (null: none),
     * or {@link Long#MIN_VALUE} if the segment is superseded as a whole.
     */
    private Long capOf(Segment s) {
        Long cap = null;
        for (Segment later : all) {
            if (later.header.generation() <= s.header.generation()) {
                continue;
            }
            if (later.header.kind() == LogFormat.Kind.RESET) {
                return Long.MIN_VALUE;
            }
            if (later.header.kind() == LogFormat.Kind.TRUNCATE
                    && (cap == null || LogFormat.compare(later.base(), cap) < 0)) {
                cap = later.base();
            }
        }
        if (cap != null && LogFormat.compare(s.base(), cap) > 0) {
            return Long.MIN_VALUE;
        }
        return cap;
    }

    /** Within a generation only the first segment may be a reset or truncation. */
    private static void checkKinds(List<Segment> live) throws CorruptStorageException {
        for (int i = 1; i < live.size(); i++) {
            Segment s = live.get(i);
            boolean sameGen = s.header.generation() == live.get(i - 1).header.generation();
            if (sameGen && s.header.kind() != LogFormat.Kind.ROLL) {
                throw new CorruptStorageException(s.path, 8, "a " + s.header.kind()
                        + " segment in the middle of generation " + s.header.generation());
            }
        }
    }

    /** Decides what the tail of {@code s} means; true if it has to be cut. */
    private boolean judge(Segment s, SegmentScanner.Tail tail, Segment next) throws IOException {
        if (next != null && next.base() != s.lastZxid) {
            if (tail == SegmentScanner.Tail.DIRTY) {
                throw new CorruptLogException(s.path, s.end, LogFormat.zxid(s.lastZxid),
                        "a damaged record, and the log goes on in " + next.path.getFileName()
                        + " after " + LogFormat.zxid(next.base()));
            }
            throw new CorruptLogException(next.path, 0, LogFormat.zxid(s.lastZxid),
                    "this segment starts after " + LogFormat.zxid(next.base()) + " but "
                    + s.path.getFileName() + " ends at " + LogFormat.zxid(s.lastZxid)
                    + ": records are missing");
        }
        switch (tail) {
            case CLEAN:
                return false;
            case SUPERSEDED:
                LOG.info("log segment {}: cutting records after {} that a truncation superseded",
                        s.path, LogFormat.zxid(s.lastZxid));
                return true;
            default:
                break;
        }
        long garbage = s.fileSize - s.end;
        if (next != null) {
            // The next segment continues right after the last intact record, so the bytes
            // after it hide nothing: the segment was complete when the next was started.
            LOG.warn("log segment {}: {} bytes of garbage after the last record at offset {}"
                    + " (zxid {}); cutting them, no record is lost", s.path, garbage, s.end,
                    LogFormat.zxid(s.lastZxid));
            return true;
        }
        SegmentScanner.Resync r = SegmentScanner.resync(s, s.end, s.lastZxid);
        if (r.foundLaterBatch()) {
            throw new CorruptLogException(s.path, s.end, LogFormat.zxid(s.lastZxid),
                    "a damaged record, and an intact record of a later group-commit batch ("
                    + LogFormat.zxid(r.laterBatchZxid()) + " at offset " + r.laterBatchOffset()
                    + ") follows it, so the damaged one had been forced to disk");
        }
        LOG.warn("log segment {}: torn write at offset {} after zxid {}; cutting the {} bytes"
                + " after it ({} intact records of the same unfinished group-commit batch"
                + " dropped)", s.path, s.end, LogFormat.zxid(s.lastZxid), garbage,
                r.sameBatchRecords());
        return true;
    }

    private void tidy(List<Segment> live, List<Segment> toCut) throws IOException {
        for (Segment s : all) {
            if (!live.contains(s)) {
                LOG.info("log segment {}: superseded by a later reset or truncation; deleting",
                        s.path);
                s.close();
            }
        }
        for (Path p : junk) {
            io.delete(p);
        }
        Segment last = live.isEmpty() ? null : live.get(live.size() - 1);
        for (Segment s : toCut) {
            long prealloc = s == last && options.preallocate() ? options.segmentBytes() : 0;
            s.cutFile(s.end, prealloc);
        }
        if (last != null) {
            // What this recovery read must be durable before anything is built on it: a process
            // that exited without forcing left records in the page cache only, and a later
            // power cut could take them while keeping newer, forced ones.
            last.channel.force(false);
        }
        io.forceDirectory(dir);
    }
}
