package io.zab.runtime;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabMetrics;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.election.LeaderElection;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.PersistentState;
import io.zab.storage.EpochStore;
import io.zab.storage.MembershipStore;
import io.zab.storage.SnapshotStore;
import io.zab.storage.TxnLog;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import io.zab.transport.Transport;
import io.zab.transport.TransportProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every way a node can be wired, the one home of {@link ZabNode.Builder}'s defaults: the
 * transport from the first {@link TransportProvider} on the class path, the election from the
 * first {@link LeaderElection} service, file stores under the data directory. Beyond what a host
 * can set on {@code ZabNode.Builder} (a config and a state machine), zab's own tests, simulator
 * and benchmark give their own transport, election, stores or file system here. Internal: this
 * package is not exported by the {@code io.zab.core} module. Not thread-safe.
 */
public final class NodeWiring {
    private static final long ROOM_SLACK_BYTES = 64 * 1024;
    /** ZabNode's constructor, handed over by ZabNode itself so it need not be public. */
    private static volatile Function<NodeLoop, ZabNode> nodeMaker;

    private ZabConfig config;
    private StateMachine stateMachine;
    private Transport transport;
    private Supplier<? extends Transport> transportFactory;
    private LeaderElection election;
    private Supplier<? extends LeaderElection> electionFactory;
    private TxnLog log;
    private EpochStore epochs;
    private SnapshotStore snapshots;
    private MembershipStore membership;
    private FileStorage.Options fileOptions;
    private FileIo fileIo = FileIo.REAL;
    private ZabMetrics metrics = ZabMetrics.NONE;

    /** Called once, by ZabNode's static initializer. */
    public static void nodeMaker(Function<NodeLoop, ZabNode> maker) {
        nodeMaker = Objects.requireNonNull(maker, "maker");
    }

    public NodeWiring config(ZabConfig c) {
        this.config = c;
        return this;
    }

    public NodeWiring stateMachine(StateMachine sm) {
        this.stateMachine = sm;
        return this;
    }

    /** Where the node reports what it does ({@link ZabMetrics#NONE} by default). */
    public NodeWiring metrics(ZabMetrics m) {
        this.metrics = Objects.requireNonNull(m, "metrics");
        return this;
    }

    /**
     * One transport instance for the node's life. A node given one stops for good after a
     * storage failure, since a closed transport cannot be started again; give a
     * {@link #transportFactory} (or none) to let it resume.
     */
    public NodeWiring transport(Transport t) {
        this.transport = t;
        return this;
    }

    /**
     * Makes the node's transports, one per incarnation: the first when it starts, a fresh one
     * each time it resumes after a storage failure (it closes the old one to leave the
     * ensemble). Called on the thread that builds the node, then on its recovery thread.
     */
    public NodeWiring transportFactory(Supplier<? extends Transport> factory) {
        this.transportFactory = factory;
        return this;
    }

    /**
     * One election instance. A node given one cannot resume after a storage failure (an
     * election is initialised once); use {@link #electionFactory} or the default for that.
     */
    public NodeWiring election(LeaderElection e) {
        this.election = e;
        return this;
    }

    /** Makes a fresh election for each incarnation of the node. */
    public NodeWiring electionFactory(Supplier<? extends LeaderElection> factory) {
        this.electionFactory = factory;
        return this;
    }

    /**
     * Replaces the stores. A node given its stores cannot reopen them, so it stops for good
     * after a storage failure.
     */
    public NodeWiring stores(TxnLog txnLog, EpochStore epochStore, SnapshotStore snapshotStore,
            MembershipStore membershipStore) {
        this.log = txnLog;
        this.epochs = epochStore;
        this.snapshots = snapshotStore;
        this.membership = membershipStore;
        return this;
    }

    /**
     * How the file stores under dataDir are laid out, and the file system they go through (for
     * tests that inject faults or model crashes). Given options are used as they are, their
     * log's force flag included.
     */
    public NodeWiring fileStorage(FileStorage.Options options, FileIo io) {
        this.fileOptions = Objects.requireNonNull(options, "options");
        this.fileIo = Objects.requireNonNull(io, "io");
        return this;
    }

    public ZabNode build() throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(stateMachine, "stateMachine");
        if (transport != null && transportFactory != null) {
            throw new IllegalArgumentException("give a transport or a transportFactory, not both");
        }
        if (election != null && electionFactory != null) {
            throw new IllegalArgumentException("give an election or an electionFactory, not both");
        }
        String noResume = null;
        NodeLoop.StoreOpener stores;
        if (log == null && config.dataDir().isPresent()) {
            stores = fileStores(config.dataDir().get());
        } else {
            noResume = log == null ? "its stores are in memory" : "its stores were given";
            NodeLoop.Stores given = log == null
                    ? new NodeLoop.Stores(new MemoryTxnLog(), new MemoryEpochStore(),
                            new MemorySnapshotStore(), new MemoryMembershipStore(), () -> { })
                    : new NodeLoop.Stores(log, epochs, snapshots, membership, () -> { });
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
            elections = NodeWiring::defaultElection;
        }
        NodeLoop loop = new NodeLoop(config, stateMachine,
                new NodeLoop.Parts(stores, transports, elections, noResume, metrics),
                System::nanoTime);
        return maker().apply(loop);
    }

    /**
     * A fresh instance of the default election: the first {@link LeaderElection} registered as
     * a {@link ServiceLoader} service (zab-election registers Fast Leader Election).
     *
     * @throws IllegalStateException naming the dependency to add when none is registered
     */
    public static LeaderElection defaultElection() {
        return ServiceLoader.load(LeaderElection.class, NodeWiring.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no leader election:"
                        + " add the dependency io.zab:zab-election (Fast Leader Election)"));
    }

    /** Whether a {@link LeaderElection} service is registered (zab-election is present). */
    public static boolean hasDefaultElection() {
        return ServiceLoader.load(LeaderElection.class, NodeWiring.class.getClassLoader())
                .findFirst().isPresent();
    }

    /** Whether a {@link TransportProvider} service is registered (zab-transport is present). */
    public static boolean hasDefaultTransport() {
        return ServiceLoader.load(TransportProvider.class, NodeWiring.class.getClassLoader())
                .findFirst().isPresent();
    }

    /**
     * The default transport provider: the first {@link TransportProvider} registered as a
     * {@link ServiceLoader} service (zab-transport registers Netty).
     *
     * @throws IllegalStateException naming the dependency to add when none is registered
     */
    static TransportProvider defaultTransport() {
        return ServiceLoader.load(TransportProvider.class, NodeWiring.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no transport: add"
                        + " the dependency io.zab:zab-transport (Netty)"));
    }

    /** The protocol core's settings, as the config gives them. */
    public static CoreConfig coreConfig(ZabConfig c) {
        boolean join = c.initialClusterState() == ZabConfig.InitialClusterState.JOIN;
        // A voter to be added starts outside the membership: the leader adds it by a change.
        // One to be an observer may stay in it as one (an observer never counts), so it asks
        // the leader as an observer from the start.
        java.util.Set<io.zab.PeerId> voters = new java.util.TreeSet<>(c.voters().keySet());
        java.util.Set<io.zab.PeerId> observers = new java.util.TreeSet<>(c.observers().keySet());
        if (join) {
            voters.remove(c.peerId());
        }
        return new CoreConfig(c.peerId(), voters, observers,
                c.initLimitTicks(), c.syncLimitTicks(), c.maxTxnBytes(), c.historyMaxTxns(),
                c.proposalsInflightMax(), io.zab.Zxid.MAX_PART,
                c.initialClusterState() != ZabConfig.InitialClusterState.NEW,
                c.historyMaxBytes(), c.proposalsInflightMaxBytes(), c.learnerWindowBytes(),
                snapBytesPerTick(c));
    }

    /**
     * The state the core starts from: what the stores held, with the static membership of the
     * config when no membership was ever saved, so the core always knows every member's
     * address.
     */
    public static PersistentState startState(ZabConfig c, PersistentState recovered) {
        if (recovered.membership() != null) {
            return recovered;
        }
        return new PersistentState(recovered.acceptedEpoch(), recovered.currentEpoch(),
                recovered.snapshotZxid(), recovered.log(), staticMembership(c));
    }

    /** The config's members and their addresses ({@code host:port}), at version zero. */
    public static Membership staticMembership(ZabConfig c) {
        Map<PeerId, String> voters = addresses(c.voters());
        Map<PeerId, String> observers = addresses(c.observers());
        if (c.initialClusterState() == ZabConfig.InitialClusterState.JOIN) {
            // The running cluster's: a voter to be added is not one until a leader adds it
            // (one to be an observer stays in as one; see coreConfig).
            voters.remove(c.peerId());
        }
        return new Membership(Zxid.ZERO, voters, observers);
    }

    private static Map<PeerId, String> addresses(Map<PeerId, InetSocketAddress> members) {
        Map<PeerId, String> out = new TreeMap<>();
        members.forEach((id, a) -> out.put(id, TransportPeers.format(a)));
        return out;
    }

    /** The snapshot rate limit in the core's unit: bytes per tick, at least 1 when set. */
    private static long snapBytesPerTick(ZabConfig c) {
        if (c.snapshotSendBytesPerSecond() == 0) {
            return 0;
        }
        double perTick = (double) c.snapshotSendBytesPerSecond() * c.tickIntervalMs() / 1000;
        return (long) Math.max(1, Math.min(perTick, Long.MAX_VALUE / 4));
    }

    private static Function<NodeLoop, ZabNode> maker() {
        if (nodeMaker == null) {
            try { // ZabNode's static initializer hands over its constructor
                Class.forName(ZabNode.class.getName(), true, NodeWiring.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return nodeMaker;
    }

    private NodeLoop.StoreOpener fileStores(Path dir) {
        FileStorage.Options d = FileStorage.Options.defaults();
        FileStorage.Options options = fileOptions != null ? fileOptions
                : new FileStorage.Options(new FileTxnLog.Options(d.log().segmentBytes(),
                        d.log().preallocate(), config.fsync(), d.log().prepareNext()),
                        d.snapshotsKept(), d.snapshotEveryTxns(), d.snapshotEveryBytes());
        FileIo io = fileIo;
        return new NodeLoop.StoreOpener() {
            @Override
            public NodeLoop.Stores open() throws IOException {
                FileStorage files = FileStorage.open(dir, options, io);
                return new NodeLoop.Stores(files.log(), files.epochs(), files.snapshots(),
                        files.membership(), files);
            }

            @Override
            public NodeLoop.Stores reopen() throws IOException {
                checkRoom(dir, options);
                return open();
            }
        };
    }

    /**
     * Refuses to resume on a disk without room for the next preallocated log segment (and a
     * little more for epoch and snapshot files): rejoining would only fail again. With the next
     * segment prepared ahead, the spare takes that room as soon as the log opens; the roll into
     * it then needs none, so the same room buys the same progress.
     */
    private static void checkRoom(Path dir, FileStorage.Options options) throws IOException {
        long needed = (options.log().preallocate() ? options.log().segmentBytes() : 0)
                + ROOM_SLACK_BYTES;
        long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable < needed) {
            throw new IOException("only " + usable + " bytes free for " + dir + "; waiting for "
                    + needed + " (a log segment and some slack) before rejoining");
        }
    }
}
