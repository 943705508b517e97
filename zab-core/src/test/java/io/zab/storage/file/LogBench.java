package io.zab.storage.file;

import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Txn;
import io.zab.runtime.LogWriter;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A harness, not a test: throughput of the log alone and its recovery time. Run from the
 * repository root:
 * <pre>
 * mvn -q -pl zab-core test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.zab.storage.file.LogBench \
 *     -Dexec.args="zab-core/target/logbench 5 1024"
 * </pre>
 * Arguments: a scratch directory on the disk to measure (deleted at the end), seconds per
 * throughput run, the size of the recovery log in MiB, and optionally one of {@code append},
 * {@code raw}, {@code recovery} to run only that part. It prints:
 * <ul>
 *   <li>appends/s and MB/s (10^6 bytes of payload) of 128 B and 1 KiB txns through
 *       {@link LogWriter} (group commit) with at most 1, 16, 256 and 4096 actions per force, one
 *       producer putting one-txn AppendTxns as fast as it can, and the average batch;</li>
 *   <li>the raw rate of the same disk: a loop that appends 4 KiB to a file and forces it;</li>
 *   <li>the time to open (recover) a log of the given size, page cache warm, then cold
 *       (each segment's cached pages dropped with {@code dd iflag=nocache}), and the time to
 *       read all its txns back into memory, as {@code Recovery.load} does.</li>
 * </ul>
 */
public final class LogBench {
    private LogBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/logbench").toAbsolutePath();
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        long recoveryMiB = args.length > 2 ? Long.parseLong(args[2]) : 1024;
        String only = args.length > 3 ? args[3] : "all";
        deleteTree(dir);
        Files.createDirectories(dir);
        try {
            System.out.printf(Locale.ROOT, "zab log bench in %s (%s), %.0f s per run%n", dir,
                    Files.getFileStore(dir).type(), seconds);
            if (only.equals("all") || only.equals("append")) {
                for (int size : new int[] {128, 1024}) {
                    for (int batch : new int[] {1, 16, 256, 4096}) {
                        groupCommit(dir.resolve("gc-" + size + "-" + batch), size, batch,
                                seconds);
                    }
                }
            }
            if (only.equals("all") || only.equals("raw")) {
                raw(dir.resolve("raw"), seconds);
            }
            if (only.equals("all") || only.equals("recovery")) {
                recovery(dir.resolve("recovery"), recoveryMiB);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void groupCommit(Path d, int size, int maxBatch, double seconds)
            throws Exception {
        AtomicLong persisted = new AtomicLong();
        FileTxnLog log = FileTxnLog.open(d, FileTxnLog.Options.defaults());
        LogWriter w = new LogWriter("bench", log, new MemoryEpochStore(),
                new MemorySnapshotStore(), new MemoryMembershipStore(), maxBatch, Long.MAX_VALUE,
                new LogWriter.Listener() {
                    @Override
                    public void onPersisted(long seq) {
                        persisted.set(seq);
                    }

                    @Override
                    public void onFailure(Exception cause) {
                        cause.printStackTrace();
                    }
                });
        byte[] payload = new byte[size];
        long seq = 0;
        long start = System.nanoTime();
        long stop = start + (long) (seconds * 1e9);
        w.start();
        while (System.nanoTime() < stop) {
            seq++;
            w.submit(new AppendTxns(seq, List.of(new Txn(new Zxid(1, seq), payload))));
        }
        while (persisted.get() < seq && w.failure() == null) {
            TimeUnit.MILLISECONDS.sleep(1);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long batches = w.batches();
        w.close();
        log.close();
        System.out.printf(Locale.ROOT, "group commit  %5d B txns, <= %3d per force: %9.0f"
                + " appends/s %7.1f MB/s, %6.0f forces/s, %5.1f txns per force%n", size,
                maxBatch, seq / elapsed, seq * size / elapsed / 1e6, batches / elapsed,
                (double) seq / batches);
        deleteTree(d);
    }

    private static void raw(Path file, double seconds) throws IOException {
        ByteBuffer block = ByteBuffer.allocateDirect(4096);
        long n = 0;
        long start = System.nanoTime();
        long stop = start + (long) (seconds * 1e9);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            while (System.nanoTime() < stop) {
                block.clear();
                while (block.hasRemaining()) {
                    ch.write(block, n * 4096 + block.position());
                }
                ch.force(false);
                n++;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "raw disk      4 KiB append + force:   %9.0f forces/s"
                + "   %7.1f MB/s%n", n / elapsed, n * 4096 / elapsed / 1e6);
        Files.delete(file);
    }

    private static void recovery(Path d, long mib) throws IOException, InterruptedException {
        long txns = mib * 1024;
        byte[] payload = new byte[1024];
        long t0 = System.nanoTime();
        try (FileTxnLog log = FileTxnLog.open(d, FileTxnLog.Options.defaults())) {
            List<Txn> batch = new ArrayList<>(1024);
            for (long c = 1; c <= txns; c++) {
                batch.add(new Txn(new Zxid(1, c), payload));
                if (batch.size() == 1024 || c == txns) {
                    log.append(batch);
                    log.sync();
                    batch.clear();
                }
            }
        }
        double write = (System.nanoTime() - t0) / 1e9;
        long bytes;
        try (Stream<Path> s = Files.list(d)) {
            bytes = s.mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf(Locale.ROOT, "recovery      log of %d txns of 1 KiB (%d MiB of files)"
                + " written in %.1f s%n", txns, bytes >> 20, write);
        openAndRead(d, txns, "warm cache");
        if (dropCache(d)) {
            openAndRead(d, txns, "cold cache");
        } else {
            System.out.println("recovery      (dd iflag=nocache unavailable: no cold run)");
        }
        deleteTree(d);
    }

    private static void openAndRead(Path d, long txns, String how) throws IOException {
        long t0 = System.nanoTime();
        try (FileTxnLog log = FileTxnLog.open(d, FileTxnLog.Options.defaults())) {
            double open = (System.nanoTime() - t0) / 1e9;
            if (log.lastZxid().counter() != txns) {
                throw new IllegalStateException("recovered " + log.lastZxid());
            }
            long t1 = System.nanoTime();
            int read = log.readAfter(Zxid.ZERO).size();
            double all = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "recovery      %s: open (scan + CRC of every record)"
                    + " %.2f s, then readAfter(ZERO) of %d txns %.2f s%n", how, open, read, all);
        }
    }

    /** Drops the page cache of each segment (GNU dd with fadvise), so reads hit the disk. */
    private static boolean dropCache(Path d) throws IOException, InterruptedException {
        try (Stream<Path> s = Files.list(d)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Process pr = new ProcessBuilder("dd", "if=" + p, "iflag=nocache", "count=0",
                        "status=none").redirectErrorStream(true).start();
                pr.getInputStream().readAllBytes();
                if (!pr.waitFor(60, TimeUnit.SECONDS) || pr.exitValue() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
