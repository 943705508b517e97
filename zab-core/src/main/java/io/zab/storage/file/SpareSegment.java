package io.zab.storage.file;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next segment file of a log, made ahead of need: a file of the segment's full size, zeros
 * written and forced, the directory forced, under a temp name ({@code log.spare-N.tmp}, junk to
 * {@link LogRecovery}, which deletes it). A roll then only writes the header into it, forces that
 * one block and renames it, instead of zero-filling and forcing a whole segment on the log
 * writer's thread (at 64 MiB, a stall of hundreds of milliseconds).
 *
 * <p>Threads: {@link #request}, {@link #take}, {@link #discard} and {@link #close} are called by
 * the log's owner (the log writer); the preparation runs on the executor, by default one daemon
 * thread of this object's own. The owner never waits for the preparation: {@link #take} hands
 * over a spare only if one is complete, and otherwise the log creates the segment itself, as it
 * did before there were spares. Nothing here blocks: the handover is an atomic reference.
 *
 * <p>A failed preparation (a full disk, an I/O error) is logged, its file deleted, and the log
 * goes on; the next roll creates its segment inline and so meets the same error where the log's
 * own rules apply (a full disk fails the log). Each spare's name is new, so a spare still being
 * made for a closed log never touches the file of a log reopened in the same directory.
 */
final class SpareSegment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpareSegment.class);
    /** Makes each spare's name unique within the process (one process per directory). */
    private static final AtomicLong NAMES = new AtomicLong();
    /** Zeros written between two forces while a spare is made. */
    static final long FORCE_STEP_BYTES = 4L << 20;

    /** A complete spare: its temp file and the open channel, which the log takes over. */
    record Spare(Path path, FileChannel channel) {
    }

    private final Path dir;
    private final FileIo io;
    private final long segmentBytes;
    private final Executor executor;
    /** The executor this object made and so shuts down; null when the caller gave one. */
    private final ExecutorService owned;
    private final AtomicReference<Spare> ready = new AtomicReference<>();
    private final AtomicBoolean preparing = new AtomicBoolean();
    private final AtomicLong prepared = new AtomicLong();
    private volatile boolean closed;

    private SpareSegment(Path dir, FileIo io, long segmentBytes, Executor executor,
            ExecutorService owned) {
        this.dir = dir;
        this.io = io;
        this.segmentBytes = segmentBytes;
        this.executor = executor;
        this.owned = owned;
    }

    /** Spares made on a daemon thread of their own, named after {@code dir}. */
    static SpareSegment onOwnThread(Path dir, FileIo io, long segmentBytes) {
        String name = "zab-log-spare-" + dir.toAbsolutePath();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true); // a log that rolls rarely holds no idle thread
        return new SpareSegment(dir, io, segmentBytes, pool, pool);
    }

    /** Spares made by {@code executor} (tests run the preparation when they choose). */
    static SpareSegment on(Executor executor, Path dir, FileIo io, long segmentBytes) {
        return new SpareSegment(dir, io, segmentBytes, executor, null);
    }

    /** Starts making a spare unless one is ready or on its way; never blocks. */
    void request() {
        if (closed || ready.get() != null || !preparing.compareAndSet(false, true)) {
            return;
        }
        executor.execute(this::prepare);
    }

    /** The complete spare, now the caller's, or null if none is complete; never blocks. */
    Spare take() {
        return ready.getAndSet(null);
    }

    /** How many spares were completed so far (taken or not). */
    long preparedCount() {
        return prepared.get();
    }

    /** Closes and deletes a spare the caller took but could not use. */
    void discard(Spare s) {
        try {
            if (s.channel() != null) {
                s.channel().close();
            }
        } catch (IOException e) {
            LOG.debug("closing spare log segment {}", s.path(), e);
        }
        try {
            io.delete(s.path());
        } catch (IOException e) {
            LOG.warn("cannot delete spare log segment {} (the next start-up deletes it): {}",
                    s.path(), e.toString());
        }
    }

    private void prepare() {
        Path tmp = dir.resolve(LogFormat.PREFIX + "spare-" + NAMES.incrementAndGet()
                + LogFormat.TMP_SUFFIX);
        FileChannel ch = null;
        try {
            ch = io.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            // Forced a step at a time: one force of the whole segment flushed 64 MiB at once and
            // held the log writer's own fsyncs behind it on the device for up to half a second.
            for (long from = 0; from < segmentBytes; from += FORCE_STEP_BYTES) {
                Segment.zeroFill(ch, from, Math.min(segmentBytes, from + FORCE_STEP_BYTES));
                ch.force(false);
            }
            ch.force(true);
            io.forceDirectory(dir);
        } catch (IOException | RuntimeException e) {
            if (closed || e instanceof ClosedByInterruptException) {
                LOG.debug("spare log segment {} abandoned: the log closed", tmp, e);
            } else {
                LOG.warn("cannot prepare the next log segment {} ahead ({}); the next roll"
                        + " creates it on the log writer's thread", tmp, e.toString());
            }
            discard(new Spare(tmp, ch));
            preparing.set(false);
            return;
        }
        prepared.incrementAndGet();
        ready.set(new Spare(tmp, ch));
        preparing.set(false);
        if (closed) {
            // close() may have looked before the set above; whoever takes it deletes it.
            Spare s = ready.getAndSet(null);
            if (s != null) {
                discard(s);
            }
        }
    }

    /**
     * Stops making spares and deletes a complete one. One being made is abandoned (its thread is
     * interrupted and deletes its own file), not waited for.
     */
    @Override
    public void close() {
        closed = true;
        Spare s = ready.getAndSet(null);
        if (s != null) {
            discard(s);
        }
        if (owned != null) {
            owned.shutdownNow();
        }
    }
}
