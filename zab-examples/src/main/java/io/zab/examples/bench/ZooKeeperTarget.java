package io.zab.examples.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * A 3-server Apache ZooKeeper ensemble on this machine (separate JVMs, the same disk, fsync on,
 * loopback), driven through its asynchronous API: each client owns one session and writes with
 * setData on one znode, so every write is a replicated, fsynced txn as in the zab run.
 */
final class ZooKeeperTarget implements BenchTarget {
    private static final String ZNODE = "/zab-bench";
    private final List<Process> servers = new ArrayList<>();
    private final List<ZooKeeper> sessions = new ArrayList<>();
    private final int[] clientPorts;

    private ZooKeeperTarget(int[] clientPorts) {
        this.clientPorts = clientPorts;
    }

    static ZooKeeperTarget start(BenchOptions o, Path root, PrintStream out) throws Exception {
        int[] ports = io.zab.testkit.FreePorts.pick(9);
        int[] clientPorts = {ports[0], ports[1], ports[2]};
        ZooKeeperTarget t = new ZooKeeperTarget(clientPorts);
        StringBuilder ensemble = new StringBuilder();
        for (int id = 1; id <= 3; id++) {
            ensemble.append("server.").append(id).append("=127.0.0.1:").append(ports[2 + id])
                    .append(':').append(ports[5 + id]).append('\n');
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int id = 1; id <= 3; id++) {
            Path dir = root.resolve("zk" + id);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("myid"), id + "\n");
            Path cfg = dir.resolve("zoo.cfg");
            Files.writeString(cfg, "tickTime=2000\ninitLimit=10\nsyncLimit=5\n"
                    + "dataDir=" + dir + "\nclientPort=" + clientPorts[id - 1] + "\n"
                    + "forceSync=" + (o.fsync() ? "yes" : "no") + "\n"
                    + "admin.enableServer=false\nmaxClientCnxns=0\n" + ensemble);
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-cp",
                    System.getProperty("java.class.path"),
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.toString());
            pb.redirectErrorStream(true);
            pb.redirectOutput(dir.resolve("server.log").toFile());
            t.servers.add(pb.start());
        }
        out.println("zookeeper: 3 servers starting in " + root);
        t.connect(o.clients());
        return t;
    }

    private void connect(int clients) throws Exception {
        for (int c = 0; c < clients; c++) {
            sessions.add(session(clientPorts[c % 3]));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                sessions.get(0).create(ZNODE, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                        CreateMode.PERSISTENT);
                return;
            } catch (KeeperException.NodeExistsException e) {
                return;
            } catch (KeeperException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("ZooKeeper ensemble did not form in 60 s", e);
                }
                Thread.sleep(200);
            }
        }
    }

    private static ZooKeeper session(int port) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper("127.0.0.1:" + port, 30_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(60, TimeUnit.SECONDS)) {
            throw new IOException("no ZooKeeper session on port " + port);
        }
        return zk;
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public void submit(int client, byte[] payload, Done done) {
        sessions.get(client).setData(ZNODE, payload, -1,
                (rc, path, ctx, stat) -> done.completed(rc == 0), null);
    }

    @Override
    public String verify() throws Exception {
        List<Integer> versions = new ArrayList<>();
        for (int port : clientPorts) {
            ZooKeeper zk = session(port);
            CountDownLatch synced = new CountDownLatch(1);
            zk.sync(ZNODE, (rc, path, ctx) -> synced.countDown(), null);
            synced.await(30, TimeUnit.SECONDS);
            Stat stat = new Stat();
            zk.getData(ZNODE, false, stat);
            versions.add(stat.getVersion());
            zk.close();
        }
        if (versions.stream().distinct().count() != 1) {
            throw new IllegalStateException("ZOOKEEPER SERVERS DIFFER: versions " + versions);
        }
        return "3 servers applied " + versions.get(0) + " setData txns";
    }

    @Override
    public void close() {
        for (ZooKeeper zk : sessions) {
            try {
                zk.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Process p : servers) {
            p.destroy();
        }
        for (Process p : servers) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
