package io.zab.examples.chaos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The disk faults of a {@link ProcessCluster} (S21, S22): every node's data directory on a small
 * tmpfs of its own, mounted here and unmounted by {@link #release}; a full disk; and EIO from
 * fsync/fdatasync of a running server through {@code strace -e inject}.
 *
 * <p>Layout: node N's tmpfs is mounted on {@code root/nodeN.disk}; its data directory is
 * {@code root/nodeN.disk/data} and the filler of a full disk {@code root/nodeN.disk/filler}.
 * On release with {@code keep}, each data directory is first copied (sparse) to
 * {@code root/nodeN}, where it would be without tmpfs, since a tmpfs vanishes on unmount.
 *
 * <p><b>A full disk and preallocation.</b> The server's log preallocates each 64 MiB segment
 * with zeros, so appends write into space the file already owns and a full disk alone only shows
 * when something allocates: a new segment, a snapshot, an epoch file. To make the log append
 * itself meet ENOSPC (as on a copy-on-write file system, where overwriting preallocated blocks
 * needs new ones), {@link #fill} first punches the unused preallocated tail of the newest
 * segment out of the file (it still reads as zeros) while the process is frozen, then writes
 * the filler until ENOSPC.
 *
 * <p>Needs root (mount, ptrace). Thread-safe (synchronized).
 */
final class NodeDisks {
    private static final long PAGE = 4096;
    private static final long TOOL_WAIT_SECONDS = 30;

    private final Path root;
    private final int n;
    private final Map<Integer, Process> stracers = new TreeMap<>();
    private boolean released;

    /** Mounts a tmpfs of {@code megabytes} for each of nodes 1..n under {@code root}. */
    NodeDisks(Path root, int n, int megabytes) throws IOException, InterruptedException {
        this.root = root;
        this.n = n;
        String why = unavailable();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        try {
            for (int id = 1; id <= n; id++) {
                Files.createDirectories(mount(id));
                run(TOOL_WAIT_SECONDS, "mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m",
                        "zab-" + root.getFileName() + "-" + id, mount(id).toString());
                Files.createDirectories(dataDir(id));
            }
        } catch (IOException | RuntimeException e) {
            release(false);
            throw e;
        }
    }

    /** Why tmpfs disks cannot work on this machine, or null if they can. */
    static String unavailable() {
        return HostTools.whyNotRoot("tmpfs mounts and ptrace");
    }

    Path mount(int id) {
        return root.resolve("node" + id + ".disk");
    }

    Path dataDir(int id) {
        return mount(id).resolve("data");
    }

    private Path filler(int id) {
        return mount(id).resolve("filler");
    }

    // ---- full disk ----

    /**
     * Fills node {@code id}'s disk: with the process {@code pid} frozen (SIGSTOP, unless
     * {@code pid} is 0: not running), punches the preallocated tail of its newest log segment
     * after the page holding the last record plus {@code spare} bytes, so its appends after
     * that need new space; then writes the filler until ENOSPC.
     *
     * @return the bytes the filler took
     */
    synchronized long fill(int id, long pid, long spare)
            throws IOException, InterruptedException {
        if (pid > 0) {
            freeze(pid);
        }
        try {
            punchPreallocated(id, spare);
        } finally {
            if (pid > 0) {
                run(TOOL_WAIT_SECONDS, "kill", "-CONT", String.valueOf(pid));
            }
        }
        long written = 0;
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        try (FileChannel f = FileChannel.open(filler(id), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            // Halve the chunk after each ENOSPC so the last pages get used too.
            for (int size = 1 << 20; size >= (int) PAGE; ) {
                chunk.clear().limit(size);
                try {
                    while (chunk.hasRemaining()) {
                        written += f.write(chunk);
                    }
                } catch (IOException e) {
                    size /= 2;
                }
            }
        }
        return written;
    }

    /** Deletes the filler: the disk has room again. */
    synchronized void free(int id) throws IOException {
        Files.deleteIfExists(filler(id));
    }

    private void punchPreallocated(int id, long spare) throws IOException, InterruptedException {
        Path seg = LogRecords.newest(dataDir(id));
        if (seg == null) {
            return;
        }
        long from = (LogRecords.end(seg) + spare + PAGE - 1) / PAGE * PAGE;
        long size = Files.size(seg);
        if (size > from) {
            run(TOOL_WAIT_SECONDS, "fallocate", "--punch-hole", "--offset",
                    String.valueOf(from), "--length", String.valueOf(size - from),
                    seg.toString());
        }
    }

    /** SIGSTOP, then waits until every thread of {@code pid} is stopped. */
    private static void freeze(long pid) throws IOException, InterruptedException {
        run(TOOL_WAIT_SECONDS, "kill", "-STOP", String.valueOf(pid));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!allStopped(pid)) {
            if (System.nanoTime() > deadline) {
                run(TOOL_WAIT_SECONDS, "kill", "-CONT", String.valueOf(pid));
                throw new IOException("process " + pid + " did not stop within 5 s of SIGSTOP");
            }
            Thread.sleep(5);
        }
    }

    private static boolean allStopped(long pid) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path t : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- fsync EIO ----

    /**
     * Makes fsync and fdatasync of process {@code pid} (node {@code id}) fail with EIO through
     * strace, every thread included ({@code -f -p} attaches to all threads of the JVM and to
     * those it starts). Java's {@code FileChannel.force(false)} is fdatasync, {@code force(true)}
     * fsync. {@code when} is strace's: {@code 1+} every call, {@code 3} only each thread's third.
     * Returns once strace has attached; the trace goes to {@code root/nodeN.strace}.
     */
    synchronized void injectFsyncEio(int id, long pid, String when)
            throws IOException, InterruptedException {
        if (stracers.containsKey(id)) {
            throw new IllegalStateException("strace is already attached to node " + id);
        }
        ensureStrace();
        Path trace = root.resolve("node" + id + ".strace");
        Path err = root.resolve("node" + id + ".strace.err");
        Files.deleteIfExists(err);
        ProcessBuilder pb = new ProcessBuilder("strace", "-f", "-p", String.valueOf(pid),
                "-e", "trace=fsync,fdatasync",
                "-e", "inject=fsync,fdatasync:error=EIO:when=" + when,
                "-o", trace.toString());
        pb.redirectErrorStream(true).redirectOutput(err.toFile());
        Process p = pb.start();
        stracers.put(id, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(err) || !Files.readString(err).contains("attached")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                stracers.remove(id);
                p.destroyForcibly();
                throw new IOException("strace did not attach to node " + id + " (pid " + pid
                        + ") within 20 s: " + (Files.exists(err) ? Files.readString(err) : ""));
            }
            Thread.sleep(20);
        }
    }

    /** Detaches strace from node {@code id}: its fsyncs work again. */
    synchronized void healFsync(int id) throws InterruptedException {
        Process p = stracers.remove(id);
        if (p == null) {
            return;
        }
        p.destroy(); // SIGTERM: strace detaches from every thread and exits
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    synchronized boolean fsyncFaulty(int id) {
        return stracers.containsKey(id);
    }

    /** Installs strace with apt-get unless it is already there (CI starts without it). */
    static synchronized void ensureStrace() throws IOException, InterruptedException {
        if (onPath("strace")) {
            return;
        }
        run(300, "apt-get", "update");
        run(300, "apt-get", "install", "-y", "strace");
        if (!onPath("strace")) {
            throw new IOException("apt-get install strace did not put strace on the PATH");
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    // ---- tear-down ----

    /**
     * Detaches every strace, copies each data directory to {@code root/nodeN} if {@code keep},
     * and unmounts every tmpfs (lazily if a process still holds it). Call after the servers are
     * gone. Idempotent; never throws, so it can run from a shutdown hook.
     */
    synchronized void release(boolean keep) {
        if (released) {
            return;
        }
        released = true;
        for (int id : new ArrayList<>(stracers.keySet())) {
            try {
                healFsync(id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int id = 1; id <= n; id++) {
            Path m = mount(id);
            if (!Files.isDirectory(m)) {
                continue;
            }
            try {
                if (keep && Files.isDirectory(dataDir(id))) {
                    run(120, "cp", "-a", "--sparse=always", dataDir(id).toString(),
                            root.resolve("node" + id).toString());
                }
            } catch (IOException | InterruptedException e) {
                System.err.println("disks: cannot keep a copy of " + dataDir(id) + ": " + e);
            }
            try {
                if (isMounted(m)) {
                    try {
                        run(TOOL_WAIT_SECONDS, "umount", m.toString());
                    } catch (IOException e) {
                        run(TOOL_WAIT_SECONDS, "umount", "-l", m.toString());
                    }
                }
                Trees.delete(m);
            } catch (IOException | InterruptedException e) {
                System.err.println("disks: cannot unmount " + m + ": " + e);
            }
        }
    }

    private static boolean isMounted(Path m) throws IOException {
        String target = " " + m.toAbsolutePath() + " ";
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            if (line.contains(target)) {
                return true;
            }
        }
        return false;
    }

    /** Runs a tool, waiting at most {@code seconds}; a non-zero exit is an IOException. */
    static String run(long seconds, String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("zab-tool-", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within "
                        + seconds + " s");
            }
            String text = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                        + text.trim());
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
