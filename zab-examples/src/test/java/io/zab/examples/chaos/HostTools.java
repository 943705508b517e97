package io.zab.examples.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Host programs the process tests need (iptables, libfaketime), installed from Debian with
 * apt-get when missing: CI starts on a fresh Debian machine with only Java and Maven, as root.
 * Also runs short commands with a bounded wait and their output in the error.
 *
 * <p>Called from the test thread and the shutdown reaper; stateless apart from the install lock.
 */
final class HostTools {
    private static final long INSTALL_MINUTES = 10;
    private static final List<String> DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private HostTools() {
    }

    /**
     * Skips the calling test class, with one line saying why, unless this is Linux and we are
     * root: what {@code needs} (iptables, apt-get, tmpfs mounts, ptrace) cannot run otherwise.
     * CI runs as root and so runs them all.
     */
    static void assumeRoot(String test, String needs) {
        String why = whyNotRoot(needs);
        if (why != null) {
            System.out.println(test + " skipped: " + why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, test + " skipped: " + why);
    }

    /** Null on Linux as root, else why {@code needs} cannot run here. */
    static String whyNotRoot(String needs) {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return needs + " need Linux; this is " + System.getProperty("os.name");
        }
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8).trim();
            return uid.equals("0") ? null
                    : needs + " need root; this test runs as uid " + uid;
        } catch (IOException e) {
            return "cannot run id -u: " + e.getMessage();
        }
    }

    /** The path of {@code program}, installing Debian package {@code pkg} first if needed. */
    static synchronized Path require(String program, String pkg) {
        Path found = find(program);
        if (found != null) {
            return found;
        }
        install(pkg);
        found = find(program);
        if (found == null) {
            throw new IllegalStateException("apt-get installed " + pkg + " but " + program
                    + " is still not in " + DIRS);
        }
        return found;
    }

    /** A file of Debian package {@code pkg} at {@code path}, installing the package if needed. */
    static synchronized Path requireFile(Path path, String pkg) {
        if (!Files.isRegularFile(path)) {
            install(pkg);
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("apt-get installed " + pkg + " but " + path
                    + " does not exist");
        }
        return path;
    }

    private static Path find(String program) {
        for (String d : DIRS) {
            Path p = Path.of(d, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static void install(String pkg) {
        if (find("apt-get") == null) {
            throw new IllegalStateException("Debian package " + pkg + " is needed and there is"
                    + " no apt-get to install it: install it by hand");
        }
        System.out.println("chaos: installing Debian package " + pkg + " (apt-get)");
        // Wait for another apt run (another test, unattended upgrades) instead of failing.
        String lock = "-oDPkg::Lock::Timeout=300";
        run(TimeUnit.MINUTES.toSeconds(INSTALL_MINUTES), "apt-get", lock, "-q", "update");
        run(TimeUnit.MINUTES.toSeconds(INSTALL_MINUTES), "apt-get", lock, "-q", "install",
                "-y", "--no-install-recommends", pkg);
    }

    /**
     * Runs a command, waiting at most {@code seconds}; returns its output (stdout and stderr).
     * Throws naming the command, its exit status and output if it fails or hangs.
     */
    static String run(long seconds, String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Path out = Files.createTempFile("zab-cmd-", ".out");
            try {
                pb.redirectOutput(out.toFile());
                Process p = pb.start();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new IllegalStateException(String.join(" ", cmd) + " did not finish"
                            + " within " + seconds + " s: " + Files.readString(out));
                }
                String text = Files.readString(out, StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", cmd) + " failed with exit"
                            + " status " + p.exitValue() + ": " + text.strip());
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
        }
    }
}
