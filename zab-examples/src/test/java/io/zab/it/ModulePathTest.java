package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.testkit.FreePorts;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module descriptors do what they say for a host on the module path: a module that requires
 * {@code io.zab.core} sees {@code io.zab} and nothing of zab's internals, and a node built from
 * a config and a state machine finds its transport and election through the descriptors'
 * {@code provides} (a wrong {@code uses}/{@code provides} pair only shows up here, since every
 * other test runs on the class path).
 */
class ModulePathTest {
    private static final String STATE_MACHINE = String.join("\n",
            "    static final class Count implements io.zab.StateMachine {",
            "        long n;",
            "        public Object deliver(io.zab.Zxid z, java.nio.ByteBuffer t) { return ++n; }",
            "        public void snapshot(java.io.OutputStream out) throws java.io.IOException {",
            "            new java.io.DataOutputStream(out).writeLong(n);",
            "        }",
            "        public void restore(java.io.InputStream in) throws java.io.IOException {",
            "            n = new java.io.DataInputStream(in).readLong();",
            "        }",
            "    }");

    @TempDir
    Path dir;

    @Test
    void aHostModuleSeesTheApiAndNothingInternal() throws IOException {
        Path ok = module("ok", "import io.zab.ZabNode;",
                "    static Class<?> api() { return ZabNode.class; }");
        assertEquals("", compile(ok), "a module that uses io.zab compiles");
        for (String internal : List.of("io.zab.runtime.NodeWiring", "io.zab.protocol.ZabCore",
                "io.zab.storage.file.FileStorage", "io.zab.transport.Transport",
                "io.zab.codec.MessageCodec", "io.zab.transport.netty.NettyTransport",
                "io.zab.election.fle.FastLeaderElection")) {
            Path bad = module("bad", "import " + internal + ";",
                    "    static Class<?> internal() { return "
                            + internal.substring(internal.lastIndexOf('.') + 1) + ".class; }");
            String errors = compile(bad);
            assertTrue(errors.contains("is not visible") || errors.contains("does not exist"),
                    internal + " should be hidden from a host module, javac said: " + errors);
        }
    }

    @Test
    void aNodeOnTheModulePathFindsItsTransportAndElection() throws Exception {
        int port = FreePorts.pick(1)[0];
        Path src = module("host", "", String.join("\n",
                STATE_MACHINE,
                "    public static void main(String[] args) throws Exception {",
                "        io.zab.ZabConfig c = io.zab.ZabConfig.builder().peerId(1)",
                "                .voter(1, new java.net.InetSocketAddress(\"127.0.0.1\", "
                        + port + "))",
                "                .dataDir(java.nio.file.Path.of(args[0])).build();",
                "        try (io.zab.ZabNode node = io.zab.ZabNode.builder().config(c)",
                "                .stateMachine(new Count()).build().start()) {",
                "            io.zab.SubmitResult r = node.submit(java.nio.ByteBuffer.wrap(",
                "                    new byte[] {1}), java.time.Duration.ofSeconds(30))",
                "                    .get(60, java.util.concurrent.TimeUnit.SECONDS);",
                "            System.out.println(\"committed \" + r.zxid() + \" -> \" + r.value());",
                "        }",
                "    }"));
        assertEquals("", compile(src));
        String output = runModule("host", 90, dir.resolve("data").toString());
        assertTrue(output.contains("committed ") && output.contains("-> 1"), output);
        assertFalse(output.contains("Exception"), output);
    }

    /**
     * The test kit is part of what a host module sees: its tests, on the module path too, run
     * a three-node cluster of their state machine (Netty and Fast Leader Election found through
     * the descriptors) in one line.
     */
    @Test
    void aHostModuleRunsATestClusterOfItsStateMachine() throws Exception {
        Path src = module("kit", "import io.zab.testkit.TestCluster;", String.join("\n",
                STATE_MACHINE,
                "    public static void main(String[] args) throws Exception {",
                "        java.time.Duration wait = java.time.Duration.ofSeconds(60);",
                "        try (TestCluster<Count> c = TestCluster.start(3, Count::new)) {",
                "            int leader = c.awaitLeader(wait);",
                "            c.node(leader).submit(java.nio.ByteBuffer.wrap(new byte[] {1}), wait)",
                "                    .get(60, java.util.concurrent.TimeUnit.SECONDS);",
                "            io.zab.Zxid at = c.awaitConverged(wait);",
                "            System.out.println(c.network() + \" converged at \" + at",
                "                    + \" count \" + c.inspect(1, m -> m.n));",
                "        }",
                "    }"));
        assertEquals("", compile(src));
        String output = runModule("kit", 120);
        assertTrue(output.contains("NETTY converged at ") && output.contains("count 1"), output);
    }

    /**
     * Runs a compiled module's host.Main in a JVM of its own, everything on the module path;
     * asserts it ended within {@code seconds} with exit code 0 and returns what it printed.
     */
    private String runModule(String name, int seconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath(true) + File.pathSeparator + dir.resolve("out-" + name),
                "-m", name + "/host.Main"));
        command.addAll(List.of(args));
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean ended;
        try {
            ended = p.waitFor(seconds, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "the host process did not end in " + seconds + " s:\n" + output);
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    /** A module named {@code name} requiring io.zab.core, with one class host.Main. */
    private Path module(String name, String imports, String body) throws IOException {
        Path src = dir.resolve("src-" + name);
        Files.createDirectories(src.resolve("host"));
        Files.writeString(src.resolve("module-info.java"),
                "module " + name + " { requires io.zab.core; }\n");
        Files.writeString(src.resolve("host").resolve("Main.java"), "package host;\n" + imports
                + "\npublic class Main {\n" + body + "\n}\n");
        return src;
    }

    /** Compiles a module against zab's jars on the module path; javac's errors, or "". */
    private String compile(Path src) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-d",
                dir.resolve("out-" + src.getFileName().toString().substring(4)).toString(),
                "--module-path", modulePath(false)));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = javac.run(null, err, err, args.toArray(String[]::new));
        String said = err.toString(StandardCharsets.UTF_8);
        return rc == 0 ? "" : said.isEmpty() ? "javac failed on " + src : said;
    }

    /**
     * zab's three modules and what they need, from this test's class path: slf4j, and Netty
     * when the program runs (its jars are automatic modules).
     */
    private static String modulePath(boolean run) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> isZabModule(e) || e.contains("slf4j-api")
                        || (run && e.contains("netty-") && !e.contains("native")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean isZabModule(String entry) {
        String e = entry.replace('\\', '/');
        for (String m : List.of("zab-core", "zab-transport", "zab-election")) {
            boolean jar = e.contains("/" + m + "-") && e.endsWith(".jar")
                    && !e.endsWith("tests.jar");
            if (e.endsWith(m + "/target/classes") || jar) {
                return true;
            }
        }
        return false;
    }
}
