package io.zab.examples.demo;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabNode;
import io.zab.examples.kv.KvCommand;
import io.zab.examples.kv.KvServer;
import io.zab.examples.kv.KvStateMachine;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Three replicas of the KV store in one JVM, each with an HTTP port, and a narrated tour: who
 * leads, writes through a follower, reads everywhere, the leader killed, a new leader, writes
 * continue with nothing acknowledged lost, the old leader back and caught up; then, while a
 * writer keeps writing, a fourth node added and the old leader removed by membership changes.
 */
public final class ThreeNodeDemo implements AutoCloseable {
    private final DemoCluster cluster;
    private final PrintStream out;
    private final TreeMap<Integer, KvServer> http = new TreeMap<>();
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
        replaceANode(leader, acked);
        say(allHeld ? "Tour complete: every check held." : "Tour complete: SOME CHECKS FAILED.");
        return allHeld;
    }

    /**
     * Node 4 joins and node {@code retire} (an original) leaves, each by a membership change
     * on the leader, while a writer keeps writing through the leader; every write it got
     * acknowledged is then on every member.
     */
    private void replaceANode(int retire, List<String> acked) throws Exception {
        if (!waitFor(() -> cluster.leader() != null, 30)) {
            check("a leader to replace node " + retire + " with", false);
            return;
        }
        int leader = cluster.leader();
        say("Replacing node " + retire + " with a new node 4 while writing through node "
                + leader + " ...");
        Writer writer = new Writer(cluster.node(leader));
        writer.start();
        startNode(4);
        Membership before = cluster.node(leader).membership();
        Map<PeerId, String> voters = new TreeMap<>(before.voters());
        InetSocketAddress four = cluster.address(4);
        voters.put(PeerId.of(4), four.getHostString() + ":" + four.getPort());
        Membership grown = change(leader, new Membership(before.version(), voters,
                before.observers()));
        check("node 4 is a voter", grown != null && waitFor(() -> cluster.node(4)
                .membership().isVoter(PeerId.of(4)), 10));
        voters.remove(PeerId.of(retire));
        Integer now = cluster.leader();
        Membership shrunk = change(now == null ? leader : now, new Membership(before.version(),
                voters, before.observers()));
        check("node " + retire + " is no longer a member", shrunk != null
                && !shrunk.contains(PeerId.of(retire)));
        List<String> written = writer.finish();
        say(written.size() + " writes committed during the replacement, " + writer.failed
                + " failed; stopping node " + retire + ", now outside the ensemble");
        stopNode(retire);
        acked.addAll(written);
        for (int id : cluster.running()) {
            check("node " + id + " has every write", waitFor(() -> acked.stream()
                    .allMatch(k -> cluster.kv(id).get(k) != null), 10));
        }
        check("the remaining replicas are identical", waitFor(() -> digests().values()
                .stream().distinct().count() == 1, 10));
    }

    /** Asks node {@code id} (the leader) for the change; the committed membership, or null. */
    private Membership change(int id, Membership target) throws Exception {
        try {
            Membership m = cluster.node(id).changeMembership(target, Duration.ofSeconds(10))
                    .get(30, TimeUnit.SECONDS);
            say("membership " + m.version() + " committed: voters " + m.voters().keySet());
            return m;
        } catch (ExecutionException | TimeoutException e) {
            say("membership change to voters " + target.voters().keySet() + " failed: "
                    + (e.getCause() != null ? e.getCause() : e));
            return null;
        }
    }

    /**
     * Writes through one node, one at a time, until {@link #finish}; a write that fails is
     * counted and the next one goes on. Bounded in count and time. It holds the node itself:
     * the cluster's maps belong to the tour's thread.
     */
    private static final class Writer extends Thread {
        private final ZabNode through;
        private volatile boolean stop;
        private final List<String> acked = new ArrayList<>();
        private int failed;

        Writer(ZabNode through) {
            super("demo-writer");
            this.through = through;
            setDaemon(true);
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (int i = 0; !stop && i < 100_000 && System.nanoTime() < deadline; i++) {
                String key = "during-replace-" + i;
                try {
                    through.submit(ByteBuffer.wrap(KvCommand.put(key, "v" + i).encode()))
                            .get(30, TimeUnit.SECONDS);
                    acked.add(key);
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    failed++;
                }
            }
        }

        List<String> finish() throws InterruptedException {
            stop = true;
            join(TimeUnit.SECONDS.toMillis(60));
            return acked;
        }
    }

    /** Prints how to poke the cluster by hand. */
    public void printUrls() {
        say("Try it:");
        for (int id : http.keySet()) {
            out.println("  curl -s http://127.0.0.1:" + (httpBase + id - 1) + "/status");
        }
        int first = http.keySet().iterator().next();
        int last = http.lastKey();
        out.println("  curl -s http://127.0.0.1:" + (httpBase + first - 1) + "/members");
        out.println("  curl -s -X PUT --data world http://127.0.0.1:" + (httpBase + first - 1)
                + "/kv/hello");
        out.println("  curl -s http://127.0.0.1:" + (httpBase + last - 1)
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
