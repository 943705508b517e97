package io.zab;

import io.zab.election.LeaderElection;
import io.zab.runtime.NodeLoop;
import io.zab.storage.EpochStore;
import io.zab.storage.SnapshotStore;
import io.zab.storage.TxnLog;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import io.zab.transport.Transport;
import io.zab.transport.TransportProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One member of a replicated ensemble: give it a {@link ZabConfig} and a {@link StateMachine},
 * {@link #start()} it, and {@link #submit} txns on any member. With zab-transport and
 * zab-election on the class path that is all the wiring: Netty to the config's members and Fast
 * Leader Election.
 *
 * <pre>{@code
 * ZabNode node = ZabNode.builder().config(config).stateMachine(kv).build().start();
 * node.whenReady().get(30, TimeUnit.SECONDS);
 * SubmitResult r = node.submit(ByteBuffer.wrap(bytes), Duration.ofSeconds(5)).get();
 * }</pre>
 *
 * <p>All methods may be called from any thread. Futures complete, and the state machine and
 * role listeners are called, on the node's delivery thread: do not block there.
 *
 * <p>A node with a data directory survives a full disk or an I/O error (unless it was given
 * single transport, election or store instances): it stops acking at once, leaves the ensemble
 * (its links close), then reopens its data directory with a backoff and rejoins as a follower
 * once the disk takes writes again; its state machine is restored from the newest snapshot (or
 * its state at start) and fed again from there. {@link #failure()} says while it is away.
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
     * It fails with a {@link ZabException}: NotLeader, TxnTooLarge, Overloaded or Recovering
     * mean the txn was never applied, OutcomeUnknown that it may have been (a txn in flight
     * when this node's storage failed, or when it was closed, gets it), Closed that the node
     * had stopped before the call (never applied).
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn) {
        return loop.submit(txn);
    }

    /**
     * As {@link #submit(ByteBuffer)}, but where the untimed call fails at once this one waits,
     * up to {@code maxWait} in all: on the calling thread while this node has
     * {@link ZabConfig#pendingMaxTxns()} or {@link ZabConfig#pendingMaxBytes()} in flight, then
     * for a leader in broadcast (right after start, during an election) and for room in the
     * leader's in-flight budget. When the wait runs out the future fails with
     * OverloadedException or NotLeaderException: never applied.
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

    /**
     * As {@link #sync()}, but waits up to {@code maxWait} for room in the pending budget and for
     * a leader in broadcast instead of failing at once.
     */
    public CompletableFuture<Zxid> sync(java.time.Duration maxWait) {
        return loop.sync(maxWait.toNanos());
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
    public void addRoleListener(RoleListener listener) {
        loop.addRoleListener(listener);
    }

    /**
     * Completes with the leader's id once this node first serves in broadcast: it has synced
     * with an established leader (or leads one), so its calls reach a leader from then on
     * unless one is being elected (the timed {@code submit} and {@code sync} wait out an
     * election). Completes on the delivery thread; fails with
     * {@link ZabException.ClosedException} if the node stops first. For a host that wants to
     * serve only once its node can: {@code node.start().whenReady().get(30, SECONDS)}.
     */
    public CompletableFuture<PeerId> whenReady() {
        return loop.whenReady();
    }

    /**
     * The fault that stopped this node for good (a broken invariant, a failing state machine, a
     * storage error it cannot recover from), or else the storage error it is recovering from
     * right now; empty while it runs normally, including after it resumed. While it recovers,
     * {@link #submit} and {@link #sync} fail with {@link ZabException.RecoveringException}.
     */
    public Optional<Throwable> failure() {
        return loop.failure();
    }

    /** How many times this node resumed after a storage failure. */
    public long resumes() {
        return loop.resumes();
    }

    /**
     * Stops the node. Pending submits fail with {@link ZabException.OutcomeUnknownException}
     * (one already proposed or forwarded may still be committed by the rest of the ensemble),
     * pending syncs and every later call with {@link ZabException.ClosedException}.
     */
    @Override
    public void close() {
        loop.close();
    }

    /**
     * A fresh instance of the default election: the first {@link LeaderElection} registered as
     * a {@link ServiceLoader} service (zab-election registers Fast Leader Election).
     *
     * @throws IllegalStateException naming the dependency to add when none is registered
     */
    public static LeaderElection defaultElection() {
        return ServiceLoader.load(LeaderElection.class, ZabNode.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no leader election:"
                        + " add the dependency io.zab:zab-election (Fast Leader Election) or"
                        + " give the node one with election() or electionFactory()"));
    }

    /**
     * The default transport provider: the first {@link TransportProvider} registered as a
     * {@link ServiceLoader} service (zab-transport registers Netty).
     *
     * @throws IllegalStateException naming the dependency to add when none is registered
     */
    static TransportProvider defaultTransport() {
        return ServiceLoader.load(TransportProvider.class, ZabNode.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no transport: add"
                        + " the dependency io.zab:zab-transport (Netty) or give the node one"
                        + " with transport() or transportFactory()"));
    }

    /** Wires a node. Not thread-safe. */
    public static final class Builder {
        private static final long ROOM_SLACK_BYTES = 64 * 1024;
        private ZabConfig config;
        private StateMachine stateMachine;
        private Transport transport;
        private Supplier<? extends Transport> transportFactory;
        private LeaderElection election;
        private Supplier<? extends LeaderElection> electionFactory;
        private TxnLog log;
        private EpochStore epochs;
        private SnapshotStore snapshots;
        private FileStorage.Options fileOptions;
        private FileIo fileIo = FileIo.REAL;

        public Builder config(ZabConfig c) {
            this.config = c;
            return this;
        }

        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = sm;
            return this;
        }

        /**
         * The node's transport. By default (neither this nor {@link #transportFactory}) the
         * first {@link TransportProvider} on the class path makes one per incarnation from the
         * config: with zab-transport, Netty to the config's members under its cluster id. A
         * node given one instance stops for good after a storage failure, since a closed
         * transport cannot be started again; give a {@link #transportFactory} (or none) to let
         * it resume.
         */
        public Builder transport(Transport t) {
            this.transport = t;
            return this;
        }

        /**
         * Makes the node's transports, one per incarnation: the first when it starts, a fresh
         * one each time it resumes after a storage failure (it closes the old one to leave the
         * ensemble). With a data directory and the default stores, this lets the node recover
         * from a full disk or an I/O error on its own. Called on the thread that builds the
         * node, then on its recovery thread.
         */
        public Builder transportFactory(Supplier<? extends Transport> factory) {
            this.transportFactory = factory;
            return this;
        }

        /**
         * The node's election. By default: the first {@link LeaderElection} registered as a
         * {@link ServiceLoader} service (zab-election registers Fast Leader Election, so having
         * it on the class path makes FLE the default); without one, {@link #build} fails naming
         * the dependency to add. A node given one instance cannot resume after a storage
         * failure (an election is initialised once); use {@link #electionFactory} or the
         * default for that.
         */
        public Builder election(LeaderElection e) {
            this.election = e;
            return this;
        }

        /** Makes a fresh election for each incarnation of the node (see {@link #election}). */
        public Builder electionFactory(Supplier<? extends LeaderElection> factory) {
            this.electionFactory = factory;
            return this;
        }

        /**
         * Overrides the stores. By default a node with a dataDir uses the file stores there
         * (log, snapshots, epoch files); without one it keeps everything in memory. A node given
         * its stores cannot reopen them, so it stops for good after a storage failure.
         */
        public Builder stores(TxnLog txnLog, EpochStore epochStore, SnapshotStore snapshotStore) {
            this.log = txnLog;
            this.epochs = epochStore;
            this.snapshots = snapshotStore;
            return this;
        }

        /**
         * How the default file stores under dataDir are laid out, and the file system they go
         * through. By default {@link FileStorage.Options#defaults()} with the log forced as
         * {@link ZabConfig#fsync()} says, over {@link FileIo#REAL}; given options are used as
         * they are (their log's force flag included). For tuning, and for tests that inject
         * faults or model crashes through {@code io}.
         */
        public Builder fileStorage(FileStorage.Options options, FileIo io) {
            this.fileOptions = Objects.requireNonNull(options, "options");
            this.fileIo = Objects.requireNonNull(io, "io");
            return this;
        }

        public ZabNode build() throws IOException {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(stateMachine, "stateMachine");
            if (transport != null && transportFactory != null) {
                throw new IllegalArgumentException("give a transport or a transportFactory,"
                        + " not both");
            }
            if (election != null && electionFactory != null) {
                throw new IllegalArgumentException("give an election or an electionFactory,"
                        + " not both");
            }
            String noResume = null;
            NodeLoop.StoreOpener stores;
            if (log == null && config.dataDir().isPresent()) {
                stores = fileStores(config.dataDir().get());
            } else {
                noResume = log == null ? "its stores are in memory" : "its stores were given";
                if (log == null) {
                    log = new MemoryTxnLog();
                    epochs = new MemoryEpochStore();
                    snapshots = new MemorySnapshotStore();
                }
                NodeLoop.Stores given = new NodeLoop.Stores(log, epochs, snapshots, () -> { });
                stores = () -> given;
            }
            Supplier<? extends Transport> transports = transportFactory;
            if (transport == null && transports == null) {
                TransportProvider provider = defaultTransport();
                ZabConfig c = config;
                transports = () -> provider.create(c);
            } else if (transports == null) {
                Transport t = transport;
                transports = () -> t;
                noResume = noResume != null ? noResume : "it was given one transport instance,"
                        + " not a transportFactory";
            }
            Supplier<? extends LeaderElection> elections = electionFactory;
            if (election != null) {
                LeaderElection e = election;
                elections = () -> e;
                noResume = noResume != null ? noResume : "it was given one election instance,"
                        + " not an electionFactory";
            } else if (elections == null) {
                defaultElection(); // fails here, naming the missing dependency, not at start()
                elections = ZabNode::defaultElection;
            }
            return new ZabNode(new NodeLoop(config, stateMachine,
                    new NodeLoop.Parts(stores, transports, elections, noResume),
                    System::nanoTime));
        }

        private NodeLoop.StoreOpener fileStores(Path dir) {
            FileStorage.Options d = FileStorage.Options.defaults();
            FileStorage.Options options = fileOptions != null ? fileOptions
                    : new FileStorage.Options(new FileTxnLog.Options(d.log().segmentBytes(),
                            d.log().preallocate(), config.fsync()), d.snapshotsKept(),
                            d.snapshotEveryTxns(), d.snapshotEveryBytes());
            FileIo io = fileIo;
            return new NodeLoop.StoreOpener() {
                @Override
                public NodeLoop.Stores open() throws IOException {
                    FileStorage files = FileStorage.open(dir, options, io);
                    return new NodeLoop.Stores(files.log(), files.epochs(), files.snapshots(),
                            files);
                }

                @Override
                public NodeLoop.Stores reopen() throws IOException {
                    checkRoom(dir, options);
                    return open();
                }
            };
        }

        /**
         * Refuses to resume on a disk without room for the next preallocated log segment (and
         * a little more for epoch and snapshot files): rejoining would only fail again.
         */
        private static void checkRoom(Path dir, FileStorage.Options options) throws IOException {
            long needed = (options.log().preallocate() ? options.log().segmentBytes() : 0)
                    + ROOM_SLACK_BYTES;
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < needed) {
                throw new IOException("only " + usable + " bytes free for " + dir + "; waiting"
                        + " for " + needed + " (a log segment and some slack) before rejoining");
            }
        }
    }
}
