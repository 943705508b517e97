package io.zab.examples.bench;

import io.zab.storage.file.FileTxnLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw disk bound of the bench: as many logs as the bench has replicas, in one directory on
 * the disk that holds zab's data, each appended by a thread of its own as fast as the disk
 * takes it, with records of the size zab's log writes for the bench's payload
 * ({@link FileTxnLog#recordBytes}).
 *
 * <p>The shape of zab's log writer, minus everything else zab does: each file is preallocated
 * with zeros (as zab's segments are, so appends change no file metadata; when the writes reach
 * its end they go on at its start, and the roll to a new segment is left out); records go out
 * in writes of at most 256 KiB (zab's write buffer); and after every batch the file is forced
 * ({@code fdatasync}, as zab's group commit does) unless fsync is off. A batch is the bench's
 * window of records: no zab writer can have more outstanding at once, so this is the most
 * favourable grouping zab could get. Records per second per log is then an upper bound on the
 * writes per second of the replicated bench on this disk.
 *
 * <p>Called by the bench's main thread, which waits for the writer threads it starts.
 */
final class DiskBound {
    static final int WRITE_BYTES = 256 * 1024;
    static final long FILE_BYTES = 64L << 20;

    /**
     * @param records the records written (and forced) over all logs
     * @param forces the forces over all logs
     * @param seconds from the common start until the last log's last force
     */
    record Result(int logs, int recordBytes, int batch, boolean fsync, long records, long forces,
            double seconds) {
        /** Records per second of one log: the bound on replicated writes per second. */
        double recordsPerSec() {
            return records / (double) logs / seconds;
        }

        /** The bench summary line: the bound, and {@code opsPerSec} as a fraction of it. */
        String summary(double opsPerSec) {
            return String.format(Locale.ROOT, "disk bound: %,.0f records/s; zab = %.1f%% of it",
                    recordsPerSec(), 100 * opsPerSec / recordsPerSec());
        }

        String details() {
            return String.format(Locale.ROOT, "  (%d logs on one disk, %d B records, batches of"
                    + " %d, %s; %,d forces in %.1f s)", logs, recordBytes, batch,
                    fsync ? "each forced" : "never forced", forces, seconds);
        }
    }

    private DiskBound() {
    }

    /** Measures with the bench's replicas, payload, window, duration and fsync setting. */
    static Result measure(BenchOptions o, Path dir) throws Exception {
        return measure(dir, o.nodes(), FileTxnLog.recordBytes(o.payload()), o.window(),
                TimeUnit.SECONDS.toNanos(o.durationS()), o.fsync(), FILE_BYTES);
    }

    static Result measure(Path dir, int logs, int recordBytes, int window, long durationNs,
            boolean fsync, long fileBytes) throws Exception {
        Files.createDirectories(dir);
        long size = Math.max(fileBytes, recordBytes);
        int batch = (int) Math.max(1, Math.min(window, size / recordBytes));
        List<FileChannel> files = new ArrayList<>();
        try {
            for (int i = 0; i < logs; i++) {
                files.add(preallocated(dir.resolve("log-" + i), size));
            }
            long[] records = new long[logs];
            long[] forces = new long[logs];
            long[] ends = new long[logs];
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            long[] start = new long[1];
            for (int i = 0; i < logs; i++) {
                int log = i;
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        long deadline = start[0] + durationNs;
                        Writer w = new Writer(files.get(log), size, recordBytes, batch, fsync);
                        while (System.nanoTime() < deadline) {
                            w.batch();
                            records[log] += batch;
                            forces[log] += fsync ? 1 : 0;
                        }
                        ends[log] = System.nanoTime();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "bench-disk-bound-" + i);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            start[0] = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IOException("disk bound: a log writer failed: " + failure.get(),
                        failure.get());
            }
            long end = 0;
            long total = 0;
            long forced = 0;
            for (int i = 0; i < logs; i++) {
                end = Math.max(end, ends[i]);
                total += records[i];
                forced += forces[i];
            }
            return new Result(logs, recordBytes, batch, fsync, total, forced,
                    (end - start[0]) / 1e9);
        } finally {
            for (FileChannel f : files) {
                f.close();
            }
        }
    }

    private static FileChannel preallocated(Path file, long size) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ByteBuffer zeros = ByteBuffer.allocate(WRITE_BYTES);
            for (long pos = 0; pos < size; ) {
                zeros.clear().limit((int) Math.min(WRITE_BYTES, size - pos));
                pos += ch.write(zeros, pos);
            }
            ch.force(true);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** One log's appends: a batch of records in writes of at most 256 KiB, then a force. */
    private static final class Writer {
        private final FileChannel ch;
        private final long size;
        private final long batchBytes;
        private final boolean fsync;
        private final ByteBuffer data;
        private long pos;

        Writer(FileChannel ch, long size, int recordBytes, int batch, boolean fsync) {
            this.ch = ch;
            this.size = size;
            this.batchBytes = (long) recordBytes * batch;
            this.fsync = fsync;
            // Not zeros: a virtual disk may store runs of zeros for less.
            byte[] bytes = new byte[(int) Math.min(WRITE_BYTES, batchBytes)];
            new SplittableRandom(16).nextBytes(bytes);
            this.data = ByteBuffer.wrap(bytes);
        }

        void batch() throws IOException {
            if (pos + batchBytes > size) {
                pos = 0; // the preallocated file again: the segment roll is left out
            }
            long left = batchBytes;
            while (left > 0) {
                data.clear().limit((int) Math.min(data.capacity(), left));
                while (data.hasRemaining()) {
                    int n = ch.write(data, pos);
                    pos += n;
                    left -= n;
                }
            }
            if (fsync) {
                ch.force(false);
            }
        }
    }
}
