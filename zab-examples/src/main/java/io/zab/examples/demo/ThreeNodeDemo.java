package io.zab.examples.demo;

import io.zab.Role;
import io.zab.ZabNode;
import io.zab.examples.kv.KvCommand;
import io.zab.examples.kv.KvServer;
import io.zab.examples.kv.KvStateMachine;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Three replicas of the KV store in one JVM, each with an HTTP port, and a narrated tour: who
 * leads, writes through a follower, reads everywhere, the leader killed, a new leader, writes
 * continue with nothing acknowledged lost, the old leader back and caught up.
 */
public final class ThreeNodeDemo implements AutoCloseable {
    private final DemoCluster cluster;
    private final PrintStream out;
    private final Map<Integer, KvServer> http = new TreeMap<>();
    private final int httpBase;
    private boolean allHeld = true;

    public ThreeNodeDemo(DemoCluster cluster, int httpBase, PrintStream out) {
        this.cluster = cluster;
        this.httpBase = httpBase;
        this.out = out;
    }

    /** Runs the tour; true when every check of it held. */
    public boolean tour() throws Exception {
        for (int id = 1; id <= 3; id++) {
            startNode(id);
        }
        say("Started 3 nodes; data in " + cluster.dataRoot());
        check("a leader is elected", waitFor(() -> cluster.leader() != null, 30));
        int leader = cluster.leader();
        say("Node " + leader + " leads epoch " + cluster.node(leader).status().epoch());
        int follower = leader == 1 ? 2 : 1;
        List<String> acked = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String key = "greeting-" + i;
            var r = write(follower, KvCommand.put(key, "hello " + i));
            acked.add(key);
            say("PUT " + key + " through follower " + follower + " -> committed at " + r);
        }
        for (int id = 1; id <= 3; id++) {
            int n = id;
            cluster.node(n).sync().get(10, TimeUnit.SECONDS);
            say("node " + n + " reads greeting-5 = " + cluster.kv(n).get("greeting-5"));
            check("node " + n + " has every write", acked.stream()
                    .allMatch(k -> cluster.kv(n).get(k) != null));
        }
        say("Killing the leader, node " + leader + " ...");
        stopNode(leader);
        check("a new leader is elected", waitFor(() -> cluster.leader() != null
                && cluster.leader() != leader, 30));
        int next = cluster.leader();
        say("Node " + next + " now leads epoch " + cluster.node(next).status().epoch());
        for (int i = 6; i <= 8; i++) {
            String key = "greeting-" + i;
            var r = write(next, KvCommand.put(key, "hello " + i));
            acked.add(key);
            say("PUT " + key + " through the new leader -> committed at " + r);
        }
        check("nothing acknowledged was lost", acked.stream()
                .allMatch(k -> cluster.kv(next).get(k) != null));
        say("Restarting node " + leader + " ...");
        startNode(leader);
        check("the old leader catches up", waitFor(() -> acked.stream()
                .allMatch(k -> cluster.kv(leader).get(k) != null), 30));
        say("Node " + leader + " is back as " + cluster.node(leader).status().role()
                + " with all " + acked.size() + " keys; digests: " + digests());
        check("all replicas are identical", waitFor(() -> digests().values().stream()
                .distinct().count() == 1, 10));
        say(allHeld ? "Tour complete: every check held." : "Tour complete: SOME CHECKS FAILED.");
        return allHeld;
    }

    /** Prints how to poke the cluster by hand. */
    public void printUrls() {
        say("Try it:");
        for (int id = 1; id <= 3; id++) {
            out.println("  curl -s http://127.0.0.1:" + (httpBase + id - 1) + "/status");
        }
        out.println("  curl -s -X PUT --data world http://127.0.0.1:" + httpBase + "/kv/hello");
        out.println("  curl -s http://127.0.0.1:" + (httpBase + 1)
                + "/kv/hello?linearizable=true");
        out.println("Ctrl-C to stop.");
    }

    private String write(int id, KvCommand c) throws Exception {
        return cluster.node(id).submit(ByteBuffer.wrap(c.encode())).get(30, TimeUnit.SECONDS)
                .zxid().toString();
    }

    private Map<Integer, String> digests() {
        Map<Integer, String> d = new TreeMap<>();
        for (int id : cluster.running()) {
            d.put(id, cluster.kv(id).digest());
        }
        return d;
    }

    private void startNode(int id) throws Exception {
        ZabNode node = cluster.start(id);
        KvStateMachine kv = cluster.kv(id);
        http.put(id, new KvServer(node, kv, new InetSocketAddress("127.0.0.1",
                httpBase + id - 1), 1 << 20, 10_000).start());
    }

    private void stopNode(int id) {
        KvServer s = http.remove(id);
        if (s != null) {
            s.close();
        }
        cluster.stop(id);
    }

    private void check(String what, boolean held) {
        allHeld &= held;
        say((held ? "[ok] " : "[FAILED] ") + what);
    }

    private void say(String line) {
        out.println("demo> " + line);
    }

    private static boolean waitFor(BooleanSupplier c, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        for (int id : new ArrayList<>(http.keySet())) {
            stopNode(id);
        }
        cluster.close();
    }

    static boolean leading(ZabNode n) {
        return n.status().role() == Role.LEADING && n.status().broadcasting();
    }
}
