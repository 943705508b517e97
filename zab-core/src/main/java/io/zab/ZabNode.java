package io.zab;

import io.zab.election.LeaderElection;
import io.zab.election.QuorumMaxElection;
import io.zab.runtime.NodeLoop;
import io.zab.storage.EpochStore;
import io.zab.storage.SnapshotStore;
import io.zab.storage.TxnLog;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import io.zab.transport.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;

/**
 * One member of a replicated ensemble: give it a {@link StateMachine}, a {@link Transport} and a
 * {@link LeaderElection}, {@link #start()} it, and {@link #submit} txns on any member.
 *
 * <pre>{@code
 * ZabNode node = ZabNode.builder().config(config).stateMachine(kv)
 *         .transport(new NettyTransport(nettyConfig)).election(new FastLeaderElection())
 *         .build();
 * node.start();
 * SubmitResult r = node.submit(ByteBuffer.wrap(bytes)).get();
 * }</pre>
 *
 * <p>All methods may be called from any thread. Futures complete, and the state machine and
 * role listeners are called, on the node's delivery thread: do not block there.
 */
public final class ZabNode implements AutoCloseable {
    private final NodeLoop loop;

    private ZabNode(NodeLoop loop) {
        this.loop = loop;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the threads and the transport; the node then looks for a leader. */
    public ZabNode start() throws Exception {
        loop.start();
        return this;
    }

    /**
     * Replicates {@code txn} (copied; the buffer is not kept). The future completes once the txn
     * is committed and delivered on this node, with its zxid and what
     * {@link StateMachine#deliver} returned; on a follower the txn is forwarded to the leader.
     * It fails with a {@link ZabException}: NotLeader, TxnTooLarge or Overloaded mean the txn
     * was never applied, OutcomeUnknown that it may have been, Closed that the node stopped.
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn) {
        return loop.submit(txn);
    }

    /**
     * As {@link #submit(ByteBuffer)}, except that when the node's inbox is full the call waits
     * up to {@code maxWait} for room instead of failing at once with OverloadedException.
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn, java.time.Duration maxWait) {
        return loop.submit(txn, maxWait.toNanos());
    }

    /**
     * Completes with a zxid once this node has delivered everything committed before the call,
     * after the leader confirmed with a quorum that it still leads: a read of the state machine
     * after it is linearizable.
     */
    public CompletableFuture<Zxid> sync() {
        return loop.sync();
    }

    public NodeStatus status() {
        return loop.status();
    }

    public PeerId id() {
        return loop.status().id();
    }

    public Role role() {
        return loop.status().role();
    }

    public Optional<PeerId> leader() {
        return loop.status().leader();
    }

    public Zxid lastDeliveredZxid() {
        return loop.status().lastDeliveredZxid();
    }

    /** Called on the delivery thread at every role change. */
    public void addRoleListener(NodeLoop.RoleListener listener) {
        loop.addRoleListener(listener);
    }

    /** The fault that stopped this node (a storage error, a broken invariant), if any. */
    public Optional<Throwable> failure() {
        return loop.failure();
    }

    /** Stops the node; pending futures fail with {@link ZabException.ClosedException}. */
    @Override
    public void close() {
        loop.close();
    }

    /** A fresh instance of the default election (see {@link Builder#election}). */
    public static LeaderElection defaultElection() {
        return ServiceLoader.load(LeaderElection.class, ZabNode.class.getClassLoader())
                .findFirst().orElseGet(QuorumMaxElection::new);
    }

    /** Wires a node. Not thread-safe. */
    public static final class Builder {
        private ZabConfig config;
        private StateMachine stateMachine;
        private Transport transport;
        private LeaderElection election;
        private TxnLog log;
        private EpochStore epochs;
        private SnapshotStore snapshots;

        public Builder config(ZabConfig c) {
            this.config = c;
            return this;
        }

        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = sm;
            return this;
        }

        public Builder transport(Transport t) {
            this.transport = t;
            return this;
        }

        /**
         * The node's election. By default: the first {@link LeaderElection} registered as a
         * {@link ServiceLoader} service (zab-election registers Fast Leader Election, so having
         * it on the class path makes FLE the default), else the simple
         * {@link QuorumMaxElection}.
         */
        public Builder election(LeaderElection e) {
            this.election = e;
            return this;
        }

        /**
         * Overrides the stores. By default a node with a dataDir uses the file stores there
         * (log, snapshots, epoch files); without one it keeps everything in memory.
         */
        public Builder stores(TxnLog txnLog, EpochStore epochStore, SnapshotStore snapshotStore) {
            this.log = txnLog;
            this.epochs = epochStore;
            this.snapshots = snapshotStore;
            return this;
        }

        public ZabNode build() throws IOException {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(stateMachine, "stateMachine");
            Objects.requireNonNull(transport, "transport");
            AutoCloseable storage = () -> { };
            if (log == null && config.dataDir().isPresent()) {
                FileStorage.Options d = FileStorage.Options.defaults();
                FileStorage files = FileStorage.open(config.dataDir().get(), new FileStorage.Options(
                        new FileTxnLog.Options(d.log().segmentBytes(), d.log().preallocate(),
                                config.fsync()), d.snapshotsKept(), d.snapshotEveryTxns(),
                        d.snapshotEveryBytes()));
                log = files.log();
                epochs = files.epochs();
                snapshots = files.snapshots();
                storage = files;
            } else if (log == null) {
                log = new MemoryTxnLog();
                epochs = new MemoryEpochStore();
                snapshots = new MemorySnapshotStore();
            }
            LeaderElection e = election != null ? election : defaultElection();
            try {
                return new ZabNode(new NodeLoop(config, stateMachine, transport, e, log, epochs,
                        snapshots, storage, System::nanoTime));
            } catch (IOException | RuntimeException ex) {
                try {
                    storage.close();
                } catch (Exception suppressed) {
                    ex.addSuppressed(suppressed);
                }
                throw ex;
            }
        }
    }
}
