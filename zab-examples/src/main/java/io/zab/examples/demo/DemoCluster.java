package io.zab.examples.demo;

import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.examples.kv.KvStateMachine;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The nodes of the demo, each with its own data directory under one root, its own Netty
 * transport on 127.0.0.1 and Fast Leader Election, started and stopped by id. Nodes 1 to 3
 * found the cluster; a node with a higher id joins it. A restarted node gets a fresh state
 * machine and recovers from its directory.
 */
public final class DemoCluster implements AutoCloseable {
    private final Path root;
    private final int quorumBase;
    private final Map<Integer, ZabNode> nodes = new TreeMap<>();
    private final Map<Integer, KvStateMachine> kvs = new TreeMap<>();

    public DemoCluster(Path root, int quorumBase) {
        this.root = root;
        this.quorumBase = quorumBase;
    }

    public Path dataRoot() {
        return root;
    }

    /** Node {@code id}'s quorum address. */
    public InetSocketAddress address(int id) {
        return new InetSocketAddress("127.0.0.1", quorumBase + id - 1);
    }

    /**
     * The founders 1 to 3 list each other; any other node is a new server: it lists them and
     * itself, and starts outside the membership until a change adds it (JOIN).
     */
    ZabConfig config(int id) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).clusterId("zab-demo")
                .tickIntervalMs(50).dataDir(root.resolve("node" + id));
        for (int i = 1; i <= 3; i++) {
            b.voter(i, address(i));
        }
        if (id > 3) {
            b.voter(id, address(id)).initialClusterState(ZabConfig.InitialClusterState.JOIN);
        }
        return b.build();
    }

    /**
     * Starts node {@code id} from its data directory: a founder (1 to 3), or a new server
     * that joins (see {@link #config}); a node restarted after it was added starts from the
     * membership it saved.
     */
    public ZabNode start(int id) throws Exception {
        KvStateMachine kv = new KvStateMachine();
        ZabConfig config = config(id);
        // All the wiring: Netty and Fast Leader Election come from the class path.
        ZabNode node = ZabNode.builder().config(config).stateMachine(kv).build().start();
        nodes.put(id, node);
        kvs.put(id, kv);
        return node;
    }

    public void stop(int id) {
        ZabNode n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    public ZabNode node(int id) {
        return nodes.get(id);
    }

    public KvStateMachine kv(int id) {
        return kvs.get(id);
    }

    public Set<Integer> running() {
        return nodes.keySet();
    }

    /** The id of the leader in broadcast, or null. */
    public Integer leader() {
        for (Map.Entry<Integer, ZabNode> e : nodes.entrySet()) {
            if (ThreeNodeDemo.leading(e.getValue())) {
                return e.getKey();
            }
        }
        return null;
    }

    @Override
    public void close() {
        for (int id : Set.copyOf(nodes.keySet())) {
            stop(id);
        }
    }
}
