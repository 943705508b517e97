package io.zab.storage.file;

import io.zab.Membership;
import io.zab.storage.CorruptStorageException;
import io.zab.storage.MembershipStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed membership in the file {@code membership}:
 * <pre>
 * magic "ZABM" (4) | format version (4) | length (4) | CRC32C (4) | {@link Membership#encode()}
 * </pre>
 * The CRC covers the magic, version, length and the membership bytes. Written atomically as the
 * epoch files are ({@link FileEpochStore}): to a temp file, forced, renamed over the file, and
 * the directory forced, so a crash leaves the old membership or the new one, never a mix.
 *
 * <p>At start a missing file means none was ever saved. A complete temp file holding a newer
 * membership is taken (its save had been forced, only the rename was lost); any other temp file
 * is deleted (its save never returned). A damaged or cut file stops start-up with a
 * {@link CorruptStorageException} naming it and the offset of the damage: the membership decides
 * who votes, so guessing it could split the ensemble.
 *
 * <p>Not thread-safe: the log writer, or whoever opens it before the node starts.
 */
public final class FileMembershipStore implements MembershipStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileMembershipStore.class);
    static final String FILE = "membership";
    static final String TMP_SUFFIX = ".tmp";
    static final int MAGIC = 0x5A41424D;
    static final int VERSION = 1;
    static final int HEADER_BYTES = 16;
    /**
     * More than the largest membership encodes to (about 65 KiB): a longer one is damage, and
     * no allocation at start is sized by a damaged length.
     */
    static final int MAX_BODY_BYTES = 128 * 1024;

    private final Path dir;
    private final FileIo io;
    private Membership committed;

    private FileMembershipStore(Path dir, FileIo io) {
        this.dir = dir;
        this.io = io;
    }

    public static FileMembershipStore open(Path dir) throws IOException {
        return open(dir, FileIo.REAL);
    }

    public static FileMembershipStore open(Path dir, FileIo io) throws IOException {
        FileTxnLog.createDirectory(dir, io);
        FileMembershipStore s = new FileMembershipStore(dir, io);
        s.committed = s.load();
        return s;
    }

    @Override
    public Optional<Membership> committed() {
        return Optional.ofNullable(committed);
    }

    @Override
    public void save(Membership m) throws IOException {
        Objects.requireNonNull(m, "committed");
        Path tmp = dir.resolve(FILE + TMP_SUFFIX);
        try (FileChannel ch = io.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Segment.writeFully(ch, ByteBuffer.wrap(encode(m)), 0);
            ch.force(true);
        }
        io.move(tmp, dir.resolve(FILE));
        io.forceDirectory(dir);
        committed = m;
    }

    /** The whole file for {@code m}. */
    static byte[] encode(Membership m) {
        byte[] body = m.encode();
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + body.length);
        b.putInt(MAGIC).putInt(VERSION).putInt(body.length);
        b.putInt(crc(b.array(), body));
        b.put(body);
        return b.array();
    }

    /** CRC32C of the first 12 header bytes of {@code header} and of {@code body}. */
    private static int crc(byte[] header, byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, 12);
        crc.update(body);
        return (int) crc.getValue();
    }

    /**
     * The membership in {@code bytes} read from {@code file}.
     *
     * @throws CorruptStorageException naming the file and where the damage starts
     */
    static Membership decode(byte[] bytes, Path file) throws CorruptStorageException {
        if (bytes.length < HEADER_BYTES) {
            throw new CorruptStorageException(file, bytes.length, "cut short: " + bytes.length
                    + " bytes, less than the " + HEADER_BYTES + "-byte header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != MAGIC) {
            throw new CorruptStorageException(file, 0, "no membership magic");
        }
        int length = b.getInt(8);
        if (length < 0 || length > MAX_BODY_BYTES) {
            throw new CorruptStorageException(file, 8, "membership length " + length
                    + " out of range");
        }
        if (bytes.length != HEADER_BYTES + length) {
            long at = Math.min(bytes.length, HEADER_BYTES + (long) length);
            throw new CorruptStorageException(file, at, (bytes.length < HEADER_BYTES + length
                    ? "cut short: " : "bytes after the membership: ") + bytes.length
                    + " bytes, the header says " + (HEADER_BYTES + length));
        }
        byte[] body = new byte[length];
        b.get(HEADER_BYTES, body);
        if (crc(bytes, body) != b.getInt(12)) {
            throw new CorruptStorageException(file, 12, "the file fails its CRC");
        }
        int version = b.getInt(4);
        if (version != VERSION) {
            throw new CorruptStorageException(file, 4, "unknown membership file version "
                    + version);
        }
        try {
            return Membership.decode(body);
        } catch (IllegalArgumentException e) {
            throw new CorruptStorageException(file, HEADER_BYTES, "not a membership: "
                    + e.getMessage());
        }
    }

    private Membership load() throws IOException {
        Path file = dir.resolve(FILE);
        Path tmp = dir.resolve(FILE + TMP_SUFFIX);
        Membership m = Files.exists(file) ? decode(readSmall(file), file) : null;
        if (Files.exists(tmp)) {
            Membership pending = complete(tmp);
            if (pending != null && (m == null || pending.version().isAfter(m.version()))) {
                LOG.warn("{}: taking the complete, newer {} ({}) whose rename a crash"
                        + " interrupted", file, tmp.getFileName(), pending);
                io.move(tmp, file);
                m = pending;
            } else {
                io.delete(tmp);
            }
            io.forceDirectory(dir);
        }
        return m;
    }

    /** The membership in a temp file, or null if its save did not complete. */
    private static Membership complete(Path tmp) throws IOException {
        try {
            return decode(readSmall(tmp), tmp);
        } catch (CorruptStorageException e) {
            return null;
        }
    }

    /** The file's bytes, or as many as a membership file can hold and one more. */
    private static byte[] readSmall(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(HEADER_BYTES + MAX_BODY_BYTES + 1);
        }
    }

    @Override
    public String toString() {
        return "FileMembershipStore[" + dir + ", " + committed + "]";
    }
}
