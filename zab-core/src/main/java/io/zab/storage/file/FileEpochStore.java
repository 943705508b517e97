package io.zab.storage.file;

import io.zab.storage.CorruptStorageException;
import io.zab.storage.EpochStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two epochs in the files {@code acceptedEpoch} and {@code currentEpoch} (ZooKeeper's names),
 * each one line: the epoch in decimal and a CRC32C of that text in hex ({@code "5 0a1b2c3d"}).
 * Each is written atomically: to a temp file, forced, renamed over the file, and the directory
 * forced (ZOOKEEPER-2307/4269: a crash during a rename must not make the node unable to start).
 * {@link #save} writes only what changed, acceptedEpoch first, so a crash between the two files
 * can never leave currentEpoch above acceptedEpoch.
 *
 * <p>At start a complete temp file that is newer than its file is taken (its save had been
 * forced, only the rename was lost); a damaged temp file is deleted (its save never returned);
 * a damaged epoch file stops start-up with an error naming it.
 *
 * <p>Not thread-safe: the log writer, or whoever opens it before the node starts.
 */
public final class FileEpochStore implements EpochStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileEpochStore.class);
    static final String ACCEPTED = "acceptedEpoch";
    static final String CURRENT = "currentEpoch";
    static final String TMP_SUFFIX = ".tmp";

    private final Path dir;
    private final FileIo io;
    private long acceptedEpoch;
    private long currentEpoch;

    private FileEpochStore(Path dir, FileIo io) {
        this.dir = dir;
        this.io = io;
    }

    public static FileEpochStore open(Path dir) throws IOException {
        return open(dir, FileIo.REAL);
    }

    public static FileEpochStore open(Path dir, FileIo io) throws IOException {
        FileTxnLog.createDirectory(dir, io);
        FileEpochStore s = new FileEpochStore(dir, io);
        s.acceptedEpoch = s.load(ACCEPTED);
        s.currentEpoch = s.load(CURRENT);
        if (s.currentEpoch > s.acceptedEpoch) {
            throw new CorruptStorageException(dir.resolve(CURRENT), 0, "currentEpoch "
                    + s.currentEpoch + " is above acceptedEpoch " + s.acceptedEpoch);
        }
        return s;
    }

    @Override
    public long acceptedEpoch() {
        return acceptedEpoch;
    }

    @Override
    public long currentEpoch() {
        return currentEpoch;
    }

    @Override
    public void save(long accepted, long current) throws IOException {
        if (current > accepted) {
            throw new IllegalArgumentException("currentEpoch " + current
                    + " above acceptedEpoch " + accepted);
        }
        if (accepted < 0) {
            throw new IllegalArgumentException("negative acceptedEpoch " + accepted);
        }
        if (accepted != acceptedEpoch) {
            write(ACCEPTED, accepted);
            acceptedEpoch = accepted;
        }
        if (current != currentEpoch) {
            write(CURRENT, current);
            currentEpoch = current;
        }
    }

    private void write(String name, long epoch) throws IOException {
        Path tmp = dir.resolve(name + TMP_SUFFIX);
        try (FileChannel ch = io.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Segment.writeFully(ch, ByteBuffer.wrap(encode(epoch)), 0);
            ch.force(true);
        }
        io.move(tmp, dir.resolve(name));
        io.forceDirectory(dir);
    }

    static byte[] encode(long epoch) {
        String text = Long.toString(epoch);
        return (text + " " + crcHex(text) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String crcHex(String text) {
        CRC32C crc = new CRC32C();
        crc.update(text.getBytes(StandardCharsets.US_ASCII));
        return String.format("%08x", crc.getValue());
    }

    /** The epoch in {@code bytes}, or empty if they are not a complete epoch file. */
    static OptionalLong decode(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.US_ASCII);
        if (bytes.length > 40 || !s.endsWith("\n")) {
            return OptionalLong.empty();
        }
        String[] parts = s.substring(0, s.length() - 1).split(" ", -1);
        if (parts.length != 2 || !parts[0].matches("[0-9]{1,19}")
                || !parts[1].equals(crcHex(parts[0]))) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(parts[0]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private long load(String name) throws IOException {
        Path file = dir.resolve(name);
        Path tmp = dir.resolve(name + TMP_SUFFIX);
        OptionalLong value = OptionalLong.empty();
        if (Files.exists(file)) {
            byte[] bytes = readSmall(file);
            value = decode(bytes);
            if (value.isEmpty()) {
                throw new CorruptStorageException(file, 0, "not an epoch file (expected one line"
                        + " '<epoch> <crc32c>', found " + bytes.length + " bytes that are not)");
            }
        }
        if (Files.exists(tmp)) {
            OptionalLong pending = decode(readSmall(tmp));
            if (pending.isPresent()
                    && (value.isEmpty() || pending.getAsLong() > value.getAsLong())) {
                LOG.warn("{}: taking the complete, newer {} ({}) whose rename a crash"
                        + " interrupted", file, tmp.getFileName(), pending.getAsLong());
                io.move(tmp, file);
                value = pending;
            } else {
                io.delete(tmp);
            }
            io.forceDirectory(dir);
        }
        return value.orElse(0);
    }

    /** The file's bytes, or its first 64 if it is longer (then it is no epoch file). */
    private static byte[] readSmall(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return in.readNBytes(64);
        }
    }

    @Override
    public String toString() {
        return "FileEpochStore[" + dir + ", accepted " + acceptedEpoch + ", current "
                + currentEpoch + "]";
    }
}
