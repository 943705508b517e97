package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.ZabConfig;
import io.zab.ZabNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values at the txn limit through the KV server, wired as the server command wires it (Netty
 * with its default frames, FLE, files): wave 1 accepted a txn just under 1 MiB that no frame
 * could carry, so every link failed and every DIFF sent it again. Each value of the limit minus
 * 1 to 100 bytes either replicates or gets 413, and the cluster keeps committing afterwards.
 */
class KvTxnLimitTest {
    private static final int MAX_TXN = 1 << 20;

    @TempDir
    Path root;

    @Test
    void valuesJustUnderTheLimitReplicateOrGet413AndTheClusterGoesOn() throws Exception {
        List<ZabNode> nodes = new ArrayList<>();
        List<KvServer> servers = new ArrayList<>();
        List<KvStateMachine> machines = new ArrayList<>();
        // Below the ephemeral range: a port the kernel picked for us could be handed out again
        // to another process's outgoing connection before the node binds it (it was, in a run).
        int[] ports = io.zab.testkit.FreePorts.pick(3);
        try {
            for (int id = 1; id <= 3; id++) {
                ZabConfig.Builder b = ZabConfig.builder().peerId(id).maxTxnBytes(MAX_TXN)
                        .dataDir(root.resolve("n" + id)).tickIntervalMs(50).syncLimitTicks(40)
                        .initLimitTicks(40);
                for (int p = 1; p <= 3; p++) {
                    b.voter(p, new InetSocketAddress("127.0.0.1", ports[p - 1]));
                }
                ZabConfig config = b.build();
                KvStateMachine kv = new KvStateMachine();
                // The server's wiring: Netty with frames sized for MAX_TXN, FLE.
                ZabNode n = ZabNode.builder().config(config).stateMachine(kv).build().start();
                nodes.add(n);
                machines.add(kv);
                servers.add(new KvServer(n, kv, new InetSocketAddress("127.0.0.1", 0), MAX_TXN,
                        20_000).start());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!nodes.stream().allMatch(n -> n.status().broadcasting())) {
                assertTrue(System.nanoTime() < deadline, "no leader");
                Thread.sleep(20);
            }
            HttpClient http = HttpClient.newHttpClient();
            int replicated = 0;
            int tooLarge = 0;
            for (int less = 1; less <= 100; less++) {
                String value = "v".repeat(MAX_TXN - less);
                HttpResponse<String> r = put(http, servers.get(less % 3), "big" + less, value);
                if (r.statusCode() == 200) {
                    replicated++;
                } else {
                    assertEquals(413, r.statusCode(), "limit - " + less + ": " + r.body());
                    tooLarge++;
                }
            }
            HttpResponse<String> after = put(http, servers.get(0), "after", "small");
            assertEquals(200, after.statusCode(), after.body());
            assertTrue(replicated > 0 && tooLarge > 0, "both sides of the limit were tried: "
                    + replicated + " replicated, " + tooLarge + " refused");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!machines.stream().allMatch(m -> "small".equals(m.get("after"))
                    && m.digest().equals(machines.get(0).digest()))) {
                assertTrue(System.nanoTime() < deadline, "every replica has every write");
                Thread.sleep(20);
            }
            for (int less = 1; less <= 100; less++) {
                String v = machines.get(0).get("big" + less);
                assertTrue(v == null || v.length() == MAX_TXN - less, "big" + less);
            }
            for (ZabNode n : nodes) {
                assertTrue(n.failure().isEmpty(), String.valueOf(n.failure()));
            }
        } finally {
            servers.forEach(KvServer::close);
            nodes.forEach(ZabNode::close);
        }
    }

    private static HttpResponse<String> put(HttpClient http, KvServer server, String key,
            String value) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/kv/" + key);
        return http.send(HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers
                .ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
