package io.zab.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * A real small disk for one test: a 1 MiB tmpfs mounted under {@code target/}, which the test
 * can fill until writes fail with ENOSPC. Mounting needs root; without it the test is skipped
 * (an assumption, with the reason), as on a developer's machine. Closing unmounts it and fails
 * the test if that does not work, so no mount outlives the run.
 */
public final class SmallTmpfs implements AutoCloseable {
    private final Path mount;

    private SmallTmpfs(Path mount) {
        this.mount = mount;
    }

    /** Mounts a fresh 1 MiB tmpfs at {@code target/<name>-<pid>}, or skips the test. */
    public static SmallTmpfs mount(String name) throws IOException, InterruptedException {
        Path at = Paths.get("target", name + "-" + ProcessHandle.current().pid())
                .toAbsolutePath();
        Files.createDirectories(at);
        String result = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", at.toString());
        assumeTrue(result.isEmpty(), "cannot mount a 1 MiB tmpfs at " + at
                + " (this test needs root): " + result);
        return new SmallTmpfs(at);
    }

    public Path path() {
        return mount;
    }

    public Path resolve(String name) {
        return mount.resolve(name);
    }

    /** Writes a file named {@code name} until the disk is full; returns it, to free space. */
    public Path fill(String name) throws IOException {
        Path filler = mount.resolve(name);
        byte[] chunk = new byte[16 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (int i = 0; i < 1024; i++) {
                out.write(chunk);
                out.flush();
            }
            throw new AssertionError("16 MiB fit on a 1 MiB tmpfs");
        } catch (IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("No space left"), e.toString());
        }
        return filler;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String result = run("umount", mount.toString());
        Files.deleteIfExists(mount);
        assertEquals("", result, "umount " + mount);
    }

    /** Runs a command; "" if it succeeded, else what it said. */
    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out.trim();
    }
}
