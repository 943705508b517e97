package io.zab.examples.bench;

import io.zab.NodeStatus;
import io.zab.Role;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.election.fle.FastLeaderElection;
import io.zab.runtime.NodeWiring;
import io.zab.testkit.FreePorts;
import io.zab.transport.netty.NettyTransport;
import io.zab.transport.netty.NettyTransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** N zab nodes in this JVM over NettyTransport on 127.0.0.1, each with its own directory. */
final class ZabTarget implements BenchTarget {
    private final List<ZabNode> nodes = new ArrayList<>();
    private final List<BenchStateMachine> machines = new ArrayList<>();
    private final boolean viaFollowers;
    private ZabNode leader;
    private final List<ZabNode> followers = new ArrayList<>();

    ZabTarget(BenchOptions o, Path root) throws Exception {
        this.viaFollowers = o.viaFollowers();
        int[] ports = FreePorts.pick(o.nodes());
        for (int id = 1; id <= o.nodes(); id++) {
            ZabConfig.Builder b = ZabConfig.builder().peerId(id)
                    .dataDir(root.resolve("node" + id)).fsync(o.fsync());
            for (int p = 1; p <= o.nodes(); p++) {
                b.voter(p, new InetSocketAddress("127.0.0.1", ports[p - 1]));
            }
            ZabConfig config = b.build();
            BenchStateMachine sm = new BenchStateMachine();
            NettyTransport t = new NettyTransport(NettyTransportConfig.builder()
                    .clusterId("zab-bench").peers(config.members()).build());
            nodes.add(new NodeWiring().config(config).stateMachine(sm).transport(t)
                    .election(new FastLeaderElection()).build().start());
            machines.add(sm);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!nodes.stream().allMatch(n -> n.status().broadcasting())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leader in broadcast within 60 s");
            }
            Thread.sleep(20);
        }
        for (ZabNode n : nodes) {
            if (n.status().role() == Role.LEADING) {
                leader = n;
            } else {
                followers.add(n);
            }
        }
    }

    @Override
    public String name() {
        return "zab";
    }

    @Override
    public void submit(int client, byte[] payload, Done done) {
        ZabNode target = viaFollowers ? followers.get(client % followers.size()) : leader;
        target.submit(ByteBuffer.wrap(payload)).whenComplete((r, e) -> done.completed(e == null));
    }

    /** How many nodes; {@link #submitAt} and {@link #status} take an index below this. */
    int size() {
        return nodes.size();
    }

    /**
     * The untimed submit of node {@code index} (0-based), for the overload phase: it spreads
     * load over every node, and needs the future to tell a refusal's cause. The array is
     * copied by the node before this returns, so a caller may reuse it.
     */
    CompletableFuture<SubmitResult> submitAt(int index, byte[] payload) {
        return nodes.get(index).submit(ByteBuffer.wrap(payload));
    }

    NodeStatus status(int index) {
        return nodes.get(index).status();
    }

    /** Registers {@code listener} on node {@code index}; called on its delivery thread. */
    void addRoleListener(int index, io.zab.RoleListener listener) {
        nodes.get(index).addRoleListener(listener);
    }

    @Override
    public String verify() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            long count = machines.get(0).count();
            long sum = machines.get(0).checksum();
            boolean same = machines.stream().allMatch(m -> m.count() == count
                    && m.checksum() == sum);
            if (same) {
                return nodes.size() + " replicas applied " + count + " txns, checksum "
                        + Long.toHexString(sum);
            }
            if (System.nanoTime() > deadline) {
                StringBuilder b = new StringBuilder("REPLICAS DIFFER:");
                for (BenchStateMachine m : machines) {
                    b.append(' ').append(m.count()).append('/').append(
                            Long.toHexString(m.checksum()));
                }
                throw new IllegalStateException(b.toString());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        nodes.forEach(ZabNode::close);
    }
}
