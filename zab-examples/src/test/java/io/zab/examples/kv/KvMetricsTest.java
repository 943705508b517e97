package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.MetricsRecorder;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.testkit.FreePorts;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /metrics serves the node's recorder in the Prometheus text format, and GET /status says
 * why the node is in its state: a one-voter node over Netty with real files, after PUTs.
 */
class KvMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void metricsAndStatusAfterSomeWrites() throws Exception {
        int[] ports = FreePorts.pick(2);
        ZabConfig config = ZabConfig.builder().peerId(1)
                .voter(1, new InetSocketAddress("127.0.0.1", ports[0])).dataDir(dir).build();
        KvStateMachine kv = new KvStateMachine();
        MetricsRecorder metrics = new MetricsRecorder();
        try (ZabNode node = ZabNode.builder().config(config).stateMachine(kv).metrics(metrics)
                .build().start();
                KvServer server = new KvServer(node, kv,
                        new InetSocketAddress("127.0.0.1", ports[1]),
                        HttpLimits.defaults(1 << 20), 10_000, metrics).start()) {
            node.whenReady().get(60, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + ports[1];
            int puts = 20;
            for (int i = 0; i < puts; i++) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base
                        + "/kv/k" + i)).PUT(HttpRequest.BodyPublishers.ofString("v" + i))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
            }
            HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create(base
                    + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, m.statusCode());
            assertTrue(m.headers().firstValue("content-type").orElse("")
                    .startsWith("text/plain; version=0.0.4"), m.headers().toString());
            // Every answer carries the wall clock (ClockJumpIT reads it).
            String date = m.headers().firstValue("date").orElseThrow();
            long skew = java.time.Duration.between(java.time.ZonedDateTime.parse(date,
                    java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant(),
                    java.time.Instant.now()).abs().toSeconds();
            assertTrue(skew < 60, date);
            String text = m.body();
            assertEquals(puts, value(text, "zab_txns_committed_total\\{node=\"1\"\\}"));
            assertEquals(puts, value(text, "zab_commit_latency_seconds_count\\{node=\"1\"\\}"));
            assertTrue(value(text, "zab_fsync_seconds_count\\{node=\"1\"\\}") >= 1);
            assertEquals(1, value(text, "zab_role\\{node=\"1\",role=\"leading\"\\}"));
            assertEquals(node.status().epoch(), value(text, "zab_epoch\\{node=\"1\"\\}"));

            // The explanation is refreshed once a tick: allow it a few.
            HttpResponse<String> s = null;
            for (int i = 0; i < 50; i++) {
                s = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (s.body().contains("\"explanation\":\"leading epoch")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(s.body().contains("\"explanation\":\"leading epoch"), s.body());
            assertTrue(s.body().contains("\"learners\":{}"), s.body());
        }
    }

    private static long value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        assertTrue(m.find(), series + " in\n" + text);
        return (long) Double.parseDouble(m.group(1));
    }
}
