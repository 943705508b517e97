package io.zab.storage.file;

import io.zab.StateMachine;
import io.zab.Zxid;
import io.zab.storage.SnapshotStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots in files {@code snapshot.<zxid in hex>} under one directory:
 * <pre>
 * magic "ZABS" (4) | version (4) | zxid (8) | epoch (8) | data length (8)
 *   | CRC32C of the 32 bytes before (4) | data | CRC32C of the data (4)
 * </pre>
 * A snapshot is streamed to a temp file, forced, renamed and the directory forced, so a file
 * with the final name is complete unless the disk damaged it. The newest {@code keep} are kept;
 * saving one deletes any with a higher zxid, so the newest is always the one saved last (as in
 * {@link io.zab.storage.memory.MemorySnapshotStore}). {@link #latest} skips a damaged snapshot
 * for the next older one with a WARN.
 *
 * <p>Threads: the snapshot thread saves the node's own snapshots ({@link #saveIfNewest}) while
 * the log writer may save one received by SNAP ({@link #save}). Each writes its own temp file
 * without a lock; only the commit (check, rename, directory force, prune) is one locked step,
 * so neither waits for the other's data to be written.
 */
public final class FileSnapshotStore implements SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStore.class);
    static final int MAGIC = 0x5A414253;
    static final int VERSION = 1;
    static final int HEADER_BYTES = 36;
    static final String PREFIX = "snapshot.";
    static final String TMP_SUFFIX = ".tmp";

    /** A snapshot file that passed its checks; {@code crc} is its data's CRC32C. */
    public record SnapshotFile(Path path, Zxid zxid, long epoch, long length, int crc) {
    }

    /** A snapshot being received in chunks: its file (header still blank) and running CRC. */
    private static final class Receiving {
        final Zxid zxid;
        final Path path;
        final FileChannel channel;
        CRC32C crc = new CRC32C();
        long length;

        Receiving(Zxid zxid, Path path, FileChannel channel) {
            this.zxid = zxid;
            this.path = path;
            this.channel = channel;
        }

        /**
         * Keeps only the first {@code offset} bytes (a resumed transfer starts after what the
         * node had acknowledged, which may be less than it wrote) and their CRC.
         */
        void cutTo(long offset) throws IOException {
            channel.truncate(HEADER_BYTES + offset);
            CRC32C c = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocate(64 << 10);
            for (long at = 0; at < offset;) {
                buf.clear().limit((int) Math.min(buf.capacity(), offset - at));
                int n = channel.read(buf, HEADER_BYTES + at);
                if (n < 0) {
                    throw new IOException(path + " ends at " + at + ", short of " + offset);
                }
                c.update(buf.flip());
                at += n;
            }
            crc = c;
            length = offset;
        }
    }

    private final Path dir;
    private final int keep;
    private final FileIo io;
    /**
     * Snapshots this store wrote and checked itself while writing, by file: reading a
     * gigabyte again to learn a CRC it computed a moment ago would delay a SNAP by seconds.
     */
    private final java.util.Map<Path, SnapshotFile> written =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Log-writer thread only: the snapshot being received by SNAP. */
    private Receiving receiving;
    /** Tells the temp files of saves that overlap apart. */
    private final java.util.concurrent.atomic.AtomicLong temps =
            new java.util.concurrent.atomic.AtomicLong();

    private FileSnapshotStore(Path dir, int keep, FileIo io) {
        this.dir = dir;
        this.keep = keep;
        this.io = io;
    }

    public static FileSnapshotStore open(Path dir, int keep) throws IOException {
        return open(dir, keep, FileIo.REAL);
    }

    /** Opens the store, deleting temp files of saves a crash interrupted. */
    public static FileSnapshotStore open(Path dir, int keep, FileIo io) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("snapshotsKept must be at least 1: " + keep);
        }
        FileTxnLog.createDirectory(dir, io);
        FileSnapshotStore s = new FileSnapshotStore(dir, keep, io);
        boolean deleted = false;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path f : files) {
                if (f.getFileName().toString().endsWith(TMP_SUFFIX)) {
                    io.delete(f);
                    deleted = true;
                }
            }
        }
        if (deleted) {
            io.forceDirectory(dir);
        }
        return s;
    }

    @Override
    public void save(Zxid zxid, StateMachine.SnapshotWriter writer) throws IOException {
        save(zxid, zxid.epoch(), writer);
    }

    @Override
    public boolean saveIfNewest(Zxid zxid, StateMachine.SnapshotWriter writer)
            throws IOException {
        return write(zxid, zxid.epoch(), writer, true) != null;
    }

    /**
     * Streams a snapshot at {@code zxid} to disk; durable when this returns. {@code epoch} is
     * recorded in the header for people and tools (the epoch the node was in).
     */
    public SnapshotFile save(Zxid zxid, long epoch, StateMachine.SnapshotWriter writer)
            throws IOException {
        return write(zxid, epoch, writer, false);
    }

    /** Writes a temp file, then commits it; null if {@code ifNewest} found a newer one kept. */
    private SnapshotFile write(Zxid zxid, long epoch, StateMachine.SnapshotWriter writer,
            boolean ifNewest) throws IOException {
        String name = PREFIX + String.format("%016x", zxid.toLong());
        Path file = dir.resolve(name);
        Path tmp = dir.resolve(name + "." + temps.incrementAndGet() + TMP_SUFFIX);
        long length;
        int dataCrc;
        try (FileChannel ch = io.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Body body = new Body(ch);
            writer.writeTo(body);
            body.finish();
            length = body.length;
            dataCrc = (int) body.crc.getValue();
            ByteBuffer h = header(zxid, epoch, length);
            Segment.writeFully(ch, h, 0);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            try {
                io.delete(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        synchronized (this) {
            if (ifNewest) {
                List<Path> kept = names();
                if (!kept.isEmpty() && !zxid.isAfter(zxidOf(kept.get(0)))) {
                    io.delete(tmp);
                    return null;
                }
            }
            io.move(tmp, file);
            io.forceDirectory(dir);
            prune(zxid);
        }
        SnapshotFile saved = new SnapshotFile(file, zxid, epoch, length, dataCrc);
        written.put(file, saved);
        return saved;
    }

    @Override
    public void writeChunk(Zxid zxid, long offset, byte[] data) throws IOException {
        if (offset == 0) {
            dropReceiving();
            String name = PREFIX + String.format("%016x", zxid.toLong());
            Path path = dir.resolve(name + ".recv" + TMP_SUFFIX);
            FileChannel ch = io.open(path, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            receiving = new Receiving(zxid, path, ch);
        } else if (receiving == null || !receiving.zxid.equals(zxid)
                || receiving.length < offset) {
            throw new IOException("snapshot chunk at " + offset + " of " + zxid + " does not"
                    + " follow what was received (" + (receiving == null ? "nothing"
                            : receiving.zxid + ", " + receiving.length + " bytes") + ")");
        } else if (receiving.length > offset) {
            receiving.cutTo(offset);
        }
        Receiving r = receiving;
        Segment.writeFully(r.channel, ByteBuffer.wrap(data), HEADER_BYTES + offset);
        r.crc.update(data);
        r.length += data.length;
        r.channel.force(false);
    }

    @Override
    public void install(Zxid zxid, long size, int crc) throws IOException {
        if (size == 0 && (receiving == null || !receiving.zxid.equals(zxid))) {
            save(zxid, out -> { });
            return;
        }
        Receiving r = receiving;
        if (r == null || !r.zxid.equals(zxid) || r.length != size
                || (int) r.crc.getValue() != crc) {
            String got = r == null ? "nothing" : r.zxid + ", " + r.length + " bytes, CRC32C "
                    + Integer.toHexString((int) r.crc.getValue());
            dropReceiving();
            throw new IOException("snapshot received (" + got + ") does not match SNAP ("
                    + zxid + ", " + size + " bytes, CRC32C " + Integer.toHexString(crc)
                    + "); dropped");
        }
        receiving = null;
        String name = PREFIX + String.format("%016x", zxid.toLong());
        try (FileChannel ch = r.channel) {
            Segment.writeFully(ch, ByteBuffer.allocate(4).putInt(0, crc), HEADER_BYTES + size);
            Segment.writeFully(ch, header(zxid, zxid.epoch(), size), 0);
            ch.force(true);
        }
        synchronized (this) {
            Path file = dir.resolve(name);
            io.move(r.path, file);
            io.forceDirectory(dir);
            written.put(file, new SnapshotFile(file, zxid, zxid.epoch(), size, crc));
            prune(zxid);
        }
    }

    private void dropReceiving() throws IOException {
        Receiving r = receiving;
        receiving = null;
        if (r != null) {
            r.channel.close();
            io.delete(r.path);
        }
    }

    private static ByteBuffer header(Zxid zxid, long epoch, long length) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
        h.putInt(MAGIC).putInt(VERSION).putLong(zxid.toLong()).putLong(epoch).putLong(length);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 32);
        h.putInt((int) crc.getValue());
        return h.flip();
    }

    /** Deletes snapshots above {@code saved} and all but the newest {@link #keep}. */
    private void prune(Zxid saved) throws IOException {
        List<Path> names = names();
        int kept = 0;
        boolean deleted = false;
        for (Path p : names) {
            Zxid z = zxidOf(p);
            if (z.isAfter(saved)) {
                LOG.info("deleting snapshot {}: the one saved last, at {}, is older", p, saved);
            } else if (kept < keep) {
                kept++;
                continue;
            }
            io.delete(p);
            written.remove(p);
            deleted = true;
        }
        if (deleted) {
            io.forceDirectory(dir);
        }
    }

    /** Snapshot files by zxid, newest first. */
    private List<Path> names() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path f : files) {
                if (zxidOf(f) != null) {
                    out.add(f);
                }
            }
        }
        out.sort(Comparator.comparing(FileSnapshotStore::zxidOf).reversed());
        return out;
    }

    private static Zxid zxidOf(Path p) {
        String n = p.getFileName().toString();
        if (!n.startsWith(PREFIX) || n.length() != PREFIX.length() + 16) {
            return null;
        }
        try {
            return Zxid.fromLong(Long.parseUnsignedLong(n.substring(PREFIX.length()), 16));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public Optional<StoredSnapshot> latest() throws IOException {
        return latestFile().map(this::stored);
    }

    private StoredSnapshot stored(SnapshotFile f) {
        return new StoredSnapshot(f.zxid(), f.length(), f.crc(), () -> openData(f));
    }

    /**
     * The snapshot at {@code zxid}. One this store wrote (or installed) in this process is
     * taken as it was written, without reading it all again: a SNAP of a gigabyte must not wait
     * seconds for a CRC computed a moment ago; the reader checks the CRC as it streams.
     */
    @Override
    public Optional<StoredSnapshot> find(Zxid zxid) throws IOException {
        Path p = dir.resolve(PREFIX + String.format("%016x", zxid.toLong()));
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        SnapshotFile known = written.get(p);
        if (known != null && Files.size(p) == HEADER_BYTES + known.length() + 4) {
            return Optional.of(stored(known));
        }
        Object checked = check(p);
        return checked instanceof SnapshotFile f ? Optional.of(stored(f)) : Optional.empty();
    }

    /** The newest snapshot that passes its checks; damaged ones are skipped with a WARN. */
    public Optional<SnapshotFile> latestFile() throws IOException {
        for (Path p : names()) {
            Object checked = check(p);
            if (checked instanceof SnapshotFile f) {
                return Optional.of(f);
            }
            LOG.warn("snapshot {} is damaged ({}); trying the next older one", p, checked);
        }
        return Optional.empty();
    }

    /** The zxid of the oldest snapshot kept: the log may purge up to it. */
    @Override
    public synchronized Optional<Zxid> oldestKept() throws IOException {
        List<Path> names = names();
        return names.isEmpty() ? Optional.empty()
                : Optional.of(zxidOf(names.get(names.size() - 1)));
    }

    /** A stream over the data of a checked snapshot (for StateMachine.restore). */
    public InputStream openData(SnapshotFile f) throws IOException {
        FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.READ);
        try {
            ch.position(HEADER_BYTES);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        InputStream raw = Channels.newInputStream(ch);
        return new BufferedInputStream(new InputStream() {
            private long left = f.length();

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) {
                    return -1;
                }
                int n = raw.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                raw.close();
            }
        }, 64 * 1024);
    }

    /** A {@link SnapshotFile}, or a String saying what is wrong with the file. */
    private static Object check(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
            while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
                // read the whole header
            }
            if (h.position() < HEADER_BYTES) {
                return "shorter than a snapshot header";
            }
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, 32);
            if (h.getInt(0) != MAGIC || h.getInt(4) != VERSION
                    || h.getInt(32) != (int) crc.getValue()) {
                return "bad header at offset 0";
            }
            Zxid zxid = Zxid.fromLong(h.getLong(8));
            long length = h.getLong(24);
            if (!zxid.equals(zxidOf(p))) {
                return "header zxid " + zxid + " does not match the file name";
            }
            if (length < 0 || length != size - HEADER_BYTES - 4) {
                return "data length " + length + " does not match the file size " + size;
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(4, length)));
            CRC32C data = new CRC32C();
            long pos = HEADER_BYTES;
            while (pos < HEADER_BYTES + length) {
                buf.clear().limit((int) Math.min(buf.capacity(), HEADER_BYTES + length - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    return "ends early at offset " + pos;
                }
                data.update(buf.flip());
                pos += n;
            }
            ByteBuffer trailer = ByteBuffer.allocate(4);
            while (trailer.hasRemaining() && ch.read(trailer, pos + trailer.position()) >= 0) {
                // read the whole trailer
            }
            if (trailer.hasRemaining() || trailer.getInt(0) != (int) data.getValue()) {
                return "data fails its CRC (trailer at offset " + pos + ")";
            }
            return new SnapshotFile(p, zxid, h.getLong(16), length, (int) data.getValue());
        }
    }

    /** Writes the data after the header through a buffer, counting it and its CRC. */
    private static final class Body extends OutputStream {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        private final CRC32C crc = new CRC32C();
        private long length;
        private boolean finished;

        Body(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            if (finished) {
                throw new IOException("snapshot already finished");
            }
            if (!buf.hasRemaining()) {
                drain();
            }
            buf.put((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (finished) {
                throw new IOException("snapshot already finished");
            }
            int o = off;
            int n = len;
            while (n > 0) {
                if (!buf.hasRemaining()) {
                    drain();
                }
                int k = Math.min(n, buf.remaining());
                buf.put(b, o, k);
                o += k;
                n -= k;
            }
        }

        private void drain() throws IOException {
            buf.flip();
            crc.update(buf.duplicate());
            length += Segment.writeFully(ch, buf, HEADER_BYTES + length);
            buf.clear();
        }

        void finish() throws IOException {
            drain();
            finished = true;
            ByteBuffer t = ByteBuffer.allocate(4).putInt(0, (int) crc.getValue());
            Segment.writeFully(ch, t, HEADER_BYTES + length);
        }

        @Override
        public void close() {
            // the store closes the file
        }
    }
}
