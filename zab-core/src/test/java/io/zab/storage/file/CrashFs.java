package io.zab.storage.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

/**
 * A {@link FileIo} over real files that remembers what is durable, so that {@link #crash} can do
 * what a power cut does: throw away every write, truncation, create, rename and delete that was
 * not forced. Unforced file writes may survive in part, depending on the {@link Mode}; directory
 * changes survive as a prefix (a journal commits them in order). Crash points can be chosen by
 * operation count ({@link #crashAtOp}) and I/O errors injected ({@link #failOp}).
 *
 * <p>By default the real {@code force} is skipped (the model decides durability), which keeps
 * tests fast. Every method, and every channel write, truncate and force, holds this object's
 * lock, so a test may {@link #copyDurable} from its own thread while a node's threads write
 * (what it copies is then exactly what a power cut at that instant would leave).
 */
public final class CrashFs implements FileIo {
    /** What survives of the unforced writes of a file. */
    public enum Mode {
        /** Nothing. */
        LOSE_ALL,
        /** A prefix of them; the first one lost may be torn at any byte. */
        PREFIX,
        /** Any subset of their 512-byte sectors, as a disk that reorders writes may leave. */
        ANY_SECTORS
    }

    private static final class Node {
        byte[] durable;
        final List<Object> pending = new ArrayList<>();

        Node(byte[] durable) {
            this.durable = durable;
        }
    }

    private record Write(long pos, byte[] data) {
    }

    private record Truncate(long size) {
    }

    private record Link(Path path, Node node) {
    }

    private record Unlink(Path path) {
    }

    private final List<Path> roots;
    private final Map<Path, Node> live = new HashMap<>();
    private final Map<Path, Node> durableNames = new HashMap<>();
    private final List<Object> pendingDir = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();
    private boolean realForce;
    private boolean failedForceLoses;
    private long ops;
    private long crashAt = Long.MAX_VALUE;
    private boolean dead;
    private String failKind;
    private long failAt;
    private String failMessage;

    /** Tracks the files under {@code roots}; those already there are durable. */
    public CrashFs(Path... roots) throws IOException {
        this.roots = List.of(roots);
        for (Path r : roots) {
            Files.createDirectories(r);
            adopt(r.toAbsolutePath().normalize());
        }
    }

    private void adopt(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Node n = new Node(Files.readAllBytes(f));
                    live.put(f, n);
                    durableNames.put(f, n);
                }
            }
        }
    }

    /** Also call the real force (for tests that measure nothing and want real files synced). */
    public synchronized CrashFs realForce(boolean on) {
        realForce = on;
        return this;
    }

    /**
     * Makes an injected {@code force} failure ({@link #failOp}) drop the file's unforced writes
     * for good, as Linux does after a failed fsync (fsyncgate): they stay readable in the file
     * but a later force no longer makes them durable, so a crash loses them.
     */
    public synchronized CrashFs failedForceLosesWrites(boolean on) {
        failedForceLoses = on;
        return this;
    }

    /** The count of operations that changed something so far. */
    public synchronized long ops() {
        return ops;
    }

    /** Makes operation number {@code n} (counting from 0) and every later one fail: a crash. */
    public synchronized void crashAtOp(long n) {
        crashAt = n;
    }

    /**
     * Makes the {@code n}-th (from 0) operation of {@code kind} from now on fail once with an
     * IOException saying {@code message}. Kinds: create, write, truncate, force, move, delete,
     * dirsync.
     */
    public synchronized void failOp(String kind, long n, String message) {
        failKind = kind;
        failAt = kindCounts.getOrDefault(kind, 0L) + n;
        failMessage = message;
    }

    private final Map<String, Long> kindCounts = new HashMap<>();

    private void op(String kind) throws IOException {
        if (dead) {
            throw new IOException("injected crash: the process is dead");
        }
        if (ops == crashAt) {
            dead = true;
            throw new IOException("injected crash at operation " + ops + " (" + kind + ")");
        }
        ops++;
        long k = kindCounts.merge(kind, 1L, Long::sum) - 1;
        if (kind.equals(failKind) && k == failAt) {
            failKind = null;
            throw new IOException(failMessage);
        }
    }

    public synchronized boolean crashed() {
        return dead;
    }

    private static Path abs(Path p) {
        return p.toAbsolutePath().normalize();
    }

    @Override
    public synchronized FileChannel open(Path file, OpenOption... options) throws IOException {
        Path p = abs(file);
        Set<OpenOption> opts = Set.of(options);
        Node n = live.get(p);
        boolean create = n == null && (opts.contains(StandardOpenOption.CREATE)
                || opts.contains(StandardOpenOption.CREATE_NEW));
        if (create || opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            op("create");
        } else if (dead) {
            throw new IOException("injected crash: the process is dead");
        }
        if (n == null && !create && Files.exists(p)) {
            // Written behind our back (a test damaging a file): take it as durable.
            n = new Node(Files.readAllBytes(p));
            live.put(p, n);
            durableNames.put(p, n);
        }
        FileChannel real = FileChannel.open(p, options);
        if (create) {
            n = new Node(new byte[0]);
            live.put(p, n);
            pendingDir.add(new Link(p, n));
        } else if (opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            n.pending.add(new Truncate(0));
        }
        Channel c = new Channel(real, n);
        channels.add(c);
        return c;
    }

    @Override
    public synchronized void move(Path source, Path target) throws IOException {
        op("move");
        Path s = abs(source);
        Path t = abs(target);
        Files.move(s, t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Node n = live.remove(s);
        live.put(t, n);
        pendingDir.add(List.of(new Unlink(s), new Link(t, n)));
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        op("delete");
        Path p = abs(file);
        Files.deleteIfExists(p);
        if (live.remove(p) != null) {
            pendingDir.add(new Unlink(p));
        }
    }

    @Override
    public synchronized void forceDirectory(Path dir) throws IOException {
        op("dirsync");
        Path d = abs(dir);
        List<Object> rest = new ArrayList<>();
        for (Object o : pendingDir) {
            if (dirOf(o).equals(d)) {
                applyDir(durableNames, o);
            } else {
                rest.add(o);
            }
        }
        pendingDir.clear();
        pendingDir.addAll(rest);
    }

    private static Path dirOf(Object o) {
        if (o instanceof Link l) {
            return l.path().getParent();
        }
        if (o instanceof Unlink u) {
            return u.path().getParent();
        }
        return dirOf(((List<?>) o).get(0));
    }

    private static void applyDir(Map<Path, Node> names, Object o) {
        if (o instanceof Link l) {
            names.put(l.path(), l.node());
        } else if (o instanceof Unlink u) {
            names.remove(u.path());
        } else {
            for (Object each : (List<?>) o) {
                applyDir(names, each);
            }
        }
    }

    /**
     * A power cut: the files under the roots become what the model says survived. Every channel
     * opened before is dead; open the stores again with this same CrashFs.
     */
    public synchronized void crash(Mode mode, RandomGenerator random) throws IOException {
        Map<Path, Node> names = new HashMap<>(durableNames);
        int keepDir = mode == Mode.LOSE_ALL ? 0 : random.nextInt(pendingDir.size() + 1);
        for (int i = 0; i < keepDir; i++) {
            applyDir(names, pendingDir.get(i));
        }
        Map<Node, byte[]> contents = new IdentityHashMap<>();
        for (Node n : names.values()) {
            contents.computeIfAbsent(n, k -> survive(k, mode, random));
        }
        for (Channel c : channels) {
            c.kill();
        }
        channels.clear();
        for (Path r : roots) {
            try (Stream<Path> files = Files.walk(r)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) {
                        Files.delete(f);
                    }
                }
            }
        }
        live.clear();
        durableNames.clear();
        pendingDir.clear();
        for (Map.Entry<Path, Node> e : names.entrySet()) {
            byte[] content = contents.get(e.getValue());
            Node fresh = new Node(content);
            Files.createDirectories(e.getKey().getParent());
            Files.write(e.getKey(), content);
            live.put(e.getKey(), fresh);
            durableNames.put(e.getKey(), fresh);
        }
        dead = false;
        crashAt = Long.MAX_VALUE;
        failKind = null;
    }

    private static byte[] survive(Node n, Mode mode, RandomGenerator random) {
        byte[] b = n.durable.clone();
        if (mode == Mode.LOSE_ALL || n.pending.isEmpty()) {
            return b;
        }
        if (mode == Mode.PREFIX) {
            int keep = random.nextInt(n.pending.size() + 1);
            for (int i = 0; i < keep; i++) {
                b = apply(b, n.pending.get(i));
            }
            if (keep < n.pending.size() && n.pending.get(keep) instanceof Write w) {
                int torn = random.nextInt(w.data().length + 1);
                b = apply(b, new Write(w.pos(), Arrays.copyOf(w.data(), torn)));
            }
            return b;
        }
        for (Object op : n.pending) {
            if (op instanceof Write w) {
                long pos = w.pos();
                int off = 0;
                while (off < w.data().length) {
                    int len = (int) Math.min(w.data().length - off, 512 - (pos + off) % 512);
                    if (random.nextBoolean()) {
                        b = apply(b, new Write(pos + off,
                                Arrays.copyOfRange(w.data(), off, off + len)));
                    }
                    off += len;
                }
            } else if (random.nextBoolean()) {
                b = apply(b, op);
            }
        }
        return b;
    }

    private static byte[] apply(byte[] b, Object op) {
        if (op instanceof Truncate t) {
            return Arrays.copyOf(b, (int) Math.min(b.length, t.size()));
        }
        Write w = (Write) op;
        int end = (int) (w.pos() + w.data().length);
        byte[] out = end > b.length ? Arrays.copyOf(b, end) : b;
        System.arraycopy(w.data(), 0, out, (int) w.pos(), w.data().length);
        return out;
    }

    /** Writes the files that would survive a crash with nothing more kept into {@code target}. */
    public synchronized void copyDurable(Path root, Path target) throws IOException {
        Path r = abs(root);
        for (Map.Entry<Path, Node> e : durableNames.entrySet()) {
            if (e.getKey().startsWith(r)) {
                Path t = target.resolve(r.relativize(e.getKey()).toString());
                Files.createDirectories(t.getParent());
                Files.write(t, e.getValue().durable);
            }
        }
    }

    /** A channel that records writes and truncations until they are forced. */
    private final class Channel extends FileChannel {
        private final FileChannel real;
        private final Node node;
        private boolean killed;

        Channel(FileChannel real, Node node) {
            this.real = real;
            this.node = node;
        }

        void kill() {
            killed = true;
            try {
                real.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void alive() throws IOException {
            if (killed) {
                throw new IOException("injected crash: this channel died with the process");
            }
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            synchronized (CrashFs.this) {
                alive();
                op("write");
                byte[] data = new byte[src.remaining()];
                src.duplicate().get(data);
                int n = real.write(src, position);
                node.pending.add(new Write(position, Arrays.copyOf(data, n)));
                return n;
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            synchronized (CrashFs.this) {
                long pos = real.position();
                int n = write(src, pos);
                real.position(pos + n);
                return n;
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += write(srcs[i]);
            }
            return total;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            synchronized (CrashFs.this) {
                alive();
                op("truncate");
                if (size < real.size()) {
                    node.pending.add(new Truncate(size));
                }
                real.truncate(size);
                return this;
            }
        }

        @Override
        public void force(boolean metaData) throws IOException {
            synchronized (CrashFs.this) {
                alive();
                try {
                    op("force");
                } catch (IOException e) {
                    if (failedForceLoses && !dead) {
                        node.pending.clear(); // the kernel marked the pages clean: gone
                    }
                    throw e;
                }
                for (Object o : node.pending) {
                    node.durable = apply(node.durable, o);
                }
                node.pending.clear();
                if (realForce) {
                    real.force(metaData);
                }
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            alive();
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            alive();
            return real.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            alive();
            return real.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            alive();
            return real.size();
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void implCloseChannel() throws IOException {
            if (!killed) {
                real.close();
            }
        }
    }
}
