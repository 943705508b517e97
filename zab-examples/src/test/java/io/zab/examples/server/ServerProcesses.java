package io.zab.examples.server;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Real {@code server} processes from the built jar, for end-to-end tests. */
final class ServerProcesses implements AutoCloseable {
    private static final Pattern ROLE = Pattern.compile("\"role\":\"(\\w+)\"");
    private static final Pattern DIGEST = Pattern.compile("\"digest\":\"(\\w+)\"");
    private static final Pattern APPLIED = Pattern.compile("\"applied\":\"(0x\\w+)\"");

    final Path root;
    private final int n;
    private final int[] quorumPorts;
    private final int[] httpPorts;
    private final Map<Integer, Process> running = new TreeMap<>();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10)).build();

    ServerProcesses(int n) throws IOException {
        this.n = n;
        this.root = Files.createTempDirectory("zab-e2e-");
        this.quorumPorts = freePorts(n);
        this.httpPorts = freePorts(n);
    }

    static Path jar() {
        Path jar = Path.of("target", "zab-examples.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run mvn package");
        }
        return jar;
    }

    private static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    String peers() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i > 1 ? "," : "").append(i).append("=127.0.0.1:").append(quorumPorts[i - 1]);
        }
        return b.toString();
    }

    void start(int id) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-jar",
                jar().toAbsolutePath().toString(), "server", "--id", String.valueOf(id),
                "--peers", peers(), "--data-dir", root.resolve("node" + id).toString(),
                "--http", "127.0.0.1:" + httpPorts[id - 1], "--tick-ms", "50",
                "--sync-limit", "10", "--init-limit", "20");
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Dzab.log.level=INFO");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(
                root.resolve("node" + id + ".log").toFile()));
        running.put(id, pb.start());
    }

    void kill9(int id) throws InterruptedException {
        Process p = running.remove(id);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    HttpResponse<String> call(int id, String method, String path, String body)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + httpPorts[id - 1] + path);
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .method(method, p).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The node's /status, or null if it does not answer. */
    String status(int id) {
        try {
            HttpResponse<String> r = call(id, "GET", "/status", null);
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static String field(Pattern p, String status) {
        if (status == null) {
            return null;
        }
        Matcher m = p.matcher(status);
        return m.find() ? m.group(1) : null;
    }

    String role(int id) {
        return field(ROLE, status(id));
    }

    String digest(int id) {
        return field(DIGEST, status(id));
    }

    String applied(int id) {
        return field(APPLIED, status(id));
    }

    Integer leader() {
        for (int id : running.keySet()) {
            if ("LEADING".equals(role(id))) {
                return id;
            }
        }
        return null;
    }

    boolean isRunning(int id) {
        return running.containsKey(id);
    }

    String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (File f : root.toFile().listFiles((d, name) -> name.endsWith(".log"))) {
            List<String> lines = Files.readAllLines(f.toPath());
            b.append("== ").append(f.getName()).append('\n');
            lines.subList(Math.max(0, lines.size() - 30), lines.size())
                    .forEach(l -> b.append(l).append('\n'));
        }
        return b.toString();
    }

    /** Deletes the data directories and logs (after a passing test only). */
    void deleteFiles() {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temp directory is harmless.
        }
    }

    @Override
    public void close() {
        for (Process p : running.values()) {
            p.destroy();
        }
        for (Process p : running.values()) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }
}
