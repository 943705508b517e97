package io.zab.examples.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Per-node wall clocks for server processes, through libfaketime (Debian package faketime):
 * each node runs with LD_PRELOAD of libfaketime.so.1 and reads its offset from a file of its
 * own ("+0", "+1h", "-1h"), re-read at most once a second, so a test can move one node's clock
 * mid-run. Only the wall clock moves (FAKETIME_DONT_FAKE_MONOTONIC=1): CLOCK_MONOTONIC, behind
 * System.nanoTime and the JVM's timed waits, keeps running, as on a real host whose clock is
 * stepped by NTP or an operator.
 *
 * <p>Test thread only.
 */
final class FakeClock {
    private static final List<String> LIB_DIRS = List.of("/usr/lib/x86_64-linux-gnu/faketime",
            "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime");

    private final Path lib;
    private final Path dir;

    private FakeClock(Path lib, Path dir) {
        this.lib = lib;
        this.dir = dir;
    }

    /** Installs faketime if missing; the offset files live in {@code dir}. */
    static FakeClock open(Path dir) {
        Path lib = find();
        if (lib == null) {
            HostTools.require("faketime", "faketime");
            lib = find();
        }
        if (lib == null) {
            throw new IllegalStateException("faketime is installed but libfaketime.so.1 is in"
                    + " none of " + LIB_DIRS);
        }
        return new FakeClock(lib, dir);
    }

    private static Path find() {
        for (String d : LIB_DIRS) {
            Path p = Path.of(d, "libfaketime.so.1");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private Path file(int id) {
        return dir.resolve("clock" + id);
    }

    /** The environment that runs node {@code id} on its own clock, starting at offset 0. */
    Map<String, String> environment(int id) throws IOException {
        set(id, "+0");
        return Map.of("LD_PRELOAD", lib.toString(),
                "FAKETIME_TIMESTAMP_FILE", file(id).toString(),
                "FAKETIME_CACHE_DURATION", "1",
                "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                // libfaketime 0.9.10 (Debian 12) otherwise rewrites the deadline of every timed
                // wait on a CLOCK_MONOTONIC condition variable, which the JVM uses for
                // Object.wait, parkNanos and Thread.sleep: they return at once and every
                // waiting thread spins (libfaketime issues 425 and 503).
                "FAKETIME_FORCE_MONOTONIC_FIX", "0",
                "NO_FAKE_STAT", "1");
    }

    /** Moves node {@code id}'s wall clock to real time plus {@code offset}, e.g. "+1h". */
    void set(int id, String offset) throws IOException {
        Path tmp = dir.resolve("clock" + id + ".tmp");
        Files.writeString(tmp, offset + "\n");
        Files.move(tmp, file(id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
