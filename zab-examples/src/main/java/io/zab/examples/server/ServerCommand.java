package io.zab.examples.server;

import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.examples.kv.KvServer;
import io.zab.examples.kv.KvStateMachine;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One node of a multi-process KV cluster: Netty transport, Fast Leader Election, storage in
 * {@code --data-dir}, HTTP API on {@code --http}. SIGTERM closes it cleanly.
 */
public final class ServerCommand {
    private ServerCommand() {
    }

    /**
     * Builds the node's configuration; a bad relation names its option. With {@code --join}
     * and no members read yet, this node alone stands in for them, so the other options can
     * be checked before anything is dialed.
     */
    public static ZabConfig zabConfig(ServerOptions o) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(o.id()).clusterId(o.clusterId())
                .dataDir(o.dataDir())
                .tickIntervalMs(o.tickMs()).initLimitTicks(o.initLimit())
                .syncLimitTicks(o.syncLimit()).maxTxnBytes(o.maxTxnBytes())
                // Room for every write the HTTP server lets in plus a few largest txns: the
                // server releases its own count a moment before the node does, and the node's
                // timed submit must then still find room rather than wait on an event loop.
                .pendingMaxBytes(Math.max(32L << 20,
                        o.httpMaxInflightBytes() + 4L * o.maxTxnBytes()))
                .pendingMaxTxns(Math.max(10_000, 2 * o.httpMaxConnections()))
                .historyMaxBytes(o.historyMaxBytes())
                .snapshotSendBytesPerSecond(o.snapshotSendRate())
                .initialClusterState(o.initialClusterState());
        o.peers().forEach(b::voter);
        o.observers().forEach(b::observer);
        if (o.join() != null) {
            if (o.peers().isEmpty() && o.observers().isEmpty()) {
                b.voter(o.id(), o.join().listen());
            }
            // The running cluster chose its voter count (a change may have made it even).
            b.allowEvenVoters(true);
        }
        if (o.peerSecretFile() != null) {
            b.peerSecretFile(o.peerSecretFile());
        }
        b.tls(o.tls());
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String key = m.startsWith("peerId") ? "--id" : m.startsWith("voters")
                    || m.startsWith("peers") ? (o.join() != null ? "--join" : "--peers")
                    : m.startsWith("dataDir")
                    ? "--data-dir" : m.startsWith("peerSecret") ? "--peer-secret-file"
                    : m.startsWith("tls") ? "--tls-key/--tls-cert-chain/--tls-ca" : "--config";
            throw new IllegalArgumentException(key + ": " + m);
        }
    }

    /**
     * Runs the server until SIGTERM. With {@code --join}, reads the members from the member
     * named there first, and once serving asks it to add this node (see {@link ClusterJoin}).
     */
    public static int run(ServerOptions options, PrintStream out) throws Exception {
        ClusterJoin join = options.join() != null ? new ClusterJoin(options, out) : null;
        ServerOptions o = join != null ? join.withMembers() : options;
        ZabConfig config = zabConfig(o);
        Map<io.zab.PeerId, java.net.InetSocketAddress> members = config.members();
        KvStateMachine kv = new KvStateMachine();
        // All the wiring: Netty (frames sized for maxTxnBytes) and Fast Leader Election come
        // from the class path, a fresh one of each whenever the node resumes after a full disk
        // or an I/O error.
        io.zab.MetricsRecorder metrics = new io.zab.MetricsRecorder();
        ZabNode node = ZabNode.builder().config(config).stateMachine(kv).metrics(metrics).build()
                .start();
        metrics.registerJmx(node);
        KvServer http = new KvServer(node, kv, o.http(), o.httpLimits(), o.timeoutMs(),
                metrics).start();
        out.println("server " + o.id() + ": quorum " + members.get(config.peerId())
                + ", http " + http.address() + ", data " + o.dataDir());
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            http.close();
            node.close();
            stopped.countDown();
        }, "shutdown"));
        if (join != null) {
            join.awaitAdded(node.id(), node::membership, stopping::get);
        }
        stopped.await();
        return 0;
    }
}
