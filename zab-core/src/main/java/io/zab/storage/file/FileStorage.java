package io.zab.storage.file;

import io.zab.storage.Recovery;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file stores of one node's data directory, and its layout:
 * <pre>
 * dataDir/lock             held while the stores are open (one process per directory)
 * dataDir/acceptedEpoch    dataDir/currentEpoch     ({@link FileEpochStore})
 * dataDir/membership       the committed membership ({@link FileMembershipStore})
 * dataDir/log/log.*        transaction log segments ({@link FileTxnLog})
 * dataDir/snapshots/snapshot.*                      ({@link FileSnapshotStore})
 * </pre>
 * What a node with a data directory uses by default. The snapshot cadence in {@link Options} is
 * read by the runtime, which takes the snapshots.
 *
 * <p>Opened and closed by the thread that starts and stops the node; the stores are then used as
 * their own javadoc says.
 */
public final class FileStorage implements AutoCloseable {
    /**
     * @param log segment size and preallocation of the log
     * @param snapshotsKept how many snapshots to keep (the log is purged up to the oldest)
     * @param snapshotEveryTxns take a snapshot after this many txns were delivered since the last
     * @param snapshotEveryBytes or after this many bytes of txns, whichever comes first
     */
    public record Options(FileTxnLog.Options log, int snapshotsKept, long snapshotEveryTxns,
            long snapshotEveryBytes) {
        public Options {
            if (snapshotsKept < 1) {
                throw new IllegalArgumentException("snapshotsKept must be at least 1: "
                        + snapshotsKept);
            }
            if (snapshotEveryTxns < 1 || snapshotEveryBytes < 1) {
                throw new IllegalArgumentException("snapshotEveryTxns and snapshotEveryBytes"
                        + " must be positive: " + snapshotEveryTxns + ", " + snapshotEveryBytes);
            }
        }

        /** 64 MiB preallocated segments; keep 3 snapshots; one per 100,000 txns or 256 MiB. */
        public static Options defaults() {
            return new Options(FileTxnLog.Options.defaults(), 3, 100_000, 256L << 20);
        }
    }

    private final Path dataDir;
    private final Options options;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final FileTxnLog log;
    private final FileEpochStore epochs;
    private final FileSnapshotStore snapshots;
    private final FileMembershipStore membership;

    private FileStorage(Path dataDir, Options options, FileChannel lockFile, FileLock lock,
            FileTxnLog log, FileEpochStore epochs, FileSnapshotStore snapshots,
            FileMembershipStore membership) {
        this.dataDir = dataDir;
        this.options = options;
        this.lockFile = lockFile;
        this.lock = lock;
        this.log = log;
        this.epochs = epochs;
        this.snapshots = snapshots;
        this.membership = membership;
    }

    public static FileStorage open(Path dataDir, Options options) throws IOException {
        return open(dataDir, options, FileIo.REAL);
    }

    /** Opens (or creates) the stores, recovering each; fails if another process holds them. */
    public static FileStorage open(Path dataDir, Options options, FileIo io) throws IOException {
        FileTxnLog.createDirectory(dataDir, io);
        FileChannel lockFile = FileChannel.open(dataDir.resolve("lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = tryLock(lockFile);
            if (lock == null) {
                throw new IOException("data directory " + dataDir + " is in use by another node"
                        + " (cannot lock " + dataDir.resolve("lock") + ")");
            }
            FileEpochStore epochs = FileEpochStore.open(dataDir, io);
            FileMembershipStore membership = FileMembershipStore.open(dataDir, io);
            FileSnapshotStore snapshots = FileSnapshotStore.open(dataDir.resolve("snapshots"),
                    options.snapshotsKept(), io);
            FileTxnLog log = FileTxnLog.open(dataDir.resolve("log"), options.log(), io);
            return new FileStorage(dataDir, options, lockFile, lock, log, epochs, snapshots,
                    membership);
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Reads what the stores hold, as {@link Recovery#load} does. */
    public Recovery recover() throws IOException {
        return Recovery.load(log, epochs, snapshots, membership);
    }

    public Path dataDir() {
        return dataDir;
    }

    public Options options() {
        return options;
    }

    public FileTxnLog log() {
        return log;
    }

    public FileEpochStore epochs() {
        return epochs;
    }

    public FileSnapshotStore snapshots() {
        return snapshots;
    }

    public FileMembershipStore membership() {
        return membership;
    }

    @Override
    public void close() throws IOException {
        try {
            log.close();
        } finally {
            lock.release();
            lockFile.close();
        }
    }
}
