package io.zab;

import io.zab.protocol.CoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The settings of one node, immutable. {@link Builder#build()} checks the values and the
 * relations between them and names the offending key at the start of its message; an id that
 * is not positive is refused at once by {@link Builder#peerId}, {@link Builder#voter} or
 * {@link Builder#observer} (see {@link PeerId}). Addresses are not checked here. It never reads
 * system properties.
 */
public final class ZabConfig {
    /**
     * Whether this node creates the cluster with the others or joins one that already ran
     * (etcd's initial-cluster-state). A voter started {@link #EXISTING} with an empty data
     * directory abstains from elections until a leader has synced it, so a node that lost its
     * disk cannot help elect a leader that misses txns it once acknowledged.
     */
    public enum InitialClusterState {
        /** A founding member: an empty data directory means an empty history (the default). */
        NEW,
        /**
         * Joining a running cluster (a replaced or wiped disk, a new machine under an old id):
         * an empty data directory means "history unknown"; sync before voting.
         */
        EXISTING,
        /**
         * A new server that is not a member yet: the voters and observers list the running
         * cluster's members and this node (its address and the role it is to have). It does not
         * vote; it follows the leader once the leader is adding it
         * ({@link ZabNode#changeMembership}), and becomes a member when that change commits. A
         * node that has saved a membership starts from that one instead.
         */
        JOIN
    }

    private final PeerId peerId;
    private final Map<PeerId, InetSocketAddress> voters;
    private final Map<PeerId, InetSocketAddress> observers;
    private final Path dataDir;
    private final String clusterId;
    private final int tickIntervalMs;
    private final int initLimitTicks;
    private final int syncLimitTicks;
    private final int maxTxnBytes;
    /** Whether pendingMaxTxns / pendingMaxBytes were set, rather than derived from the members. */
    private final boolean pendingTxnsSet;
    private final boolean pendingBytesSet;
    private final long inboxMaxBytes;
    private final int pendingMaxTxns;
    private final long pendingMaxBytes;
    private final int proposalsInflightMax;
    private final long proposalsInflightMaxBytes;
    private final long learnerWindowBytes;
    private final long groupCommitMaxBytes;
    private final long snapshotSendBytesPerSecond;
    private final int historyMaxTxns;
    private final long historyMaxBytes;
    private final boolean fsync;
    private final long snapshotEveryTxns;
    private final long snapshotEveryBytes;
    private final InitialClusterState initialClusterState;
    private final Tls tls;
    private final byte[] peerSecret;
    private final int handshakeTimeoutMs;
    private final int pendingHandshakesMax;

    /** Fewest bytes a {@link Builder#peerSecret peer secret} may have. */
    public static final int PEER_SECRET_MIN_BYTES = 16;

    /**
     * Mutual TLS between members, from PEM files: this member's private key (PKCS#8) and
     * certificate chain, and the CA certificates it trusts for its peers. Every member must
     * present a certificate the others trust; without it, peers are told apart only by address
     * and cluster id. {@link Builder#build()} checks that the three files are readable; the
     * transport loads them when the node starts.
     *
     * @param privateKeyPem this member's private key, PKCS#8 in PEM
     * @param certificateChainPem this member's certificate chain, PEM
     * @param trustedCaPem the CA certificates this member trusts for its peers, PEM
     */
    public record Tls(Path privateKeyPem, Path certificateChainPem, Path trustedCaPem) {
        /**
         * Checks that no path is null.
         *
         * @param privateKeyPem this member's private key, PKCS#8 in PEM
         * @param certificateChainPem this member's certificate chain, PEM
         * @param trustedCaPem the CA certificates this member trusts for its peers, PEM
         * @throws NullPointerException naming the missing path
         */
        public Tls {
            java.util.Objects.requireNonNull(privateKeyPem, "tls.privateKeyPem");
            java.util.Objects.requireNonNull(certificateChainPem, "tls.certificateChainPem");
            java.util.Objects.requireNonNull(trustedCaPem, "tls.trustedCaPem");
        }
    }

    private ZabConfig(Builder b) {
        this.peerId = b.peerId;
        this.voters = Collections.unmodifiableMap(new TreeMap<>(b.voters));
        this.observers = Collections.unmodifiableMap(new TreeMap<>(b.observers));
        this.dataDir = b.dataDir;
        this.clusterId = b.clusterId;
        this.tickIntervalMs = b.tickIntervalMs;
        this.initLimitTicks = b.initLimitTicks;
        this.syncLimitTicks = b.syncLimitTicks;
        this.maxTxnBytes = b.maxTxnBytes;
        this.inboxMaxBytes = b.inboxMaxBytes;
        this.pendingMaxTxns = b.pendingTxns();
        this.pendingMaxBytes = b.pendingBytes();
        this.pendingTxnsSet = b.pendingMaxTxns != null;
        this.pendingBytesSet = b.pendingMaxBytes != null;
        this.proposalsInflightMax = b.proposalsInflightMax;
        this.proposalsInflightMaxBytes = b.proposalsInflightMaxBytes;
        this.learnerWindowBytes = b.learnerWindowBytes;
        this.groupCommitMaxBytes = b.groupCommitMaxBytes;
        this.snapshotSendBytesPerSecond = b.snapshotSendBytesPerSecond;
        this.historyMaxTxns = b.historyMaxTxns;
        this.historyMaxBytes = b.historyMaxBytes;
        this.fsync = b.fsync;
        this.snapshotEveryTxns = b.snapshotEveryTxns;
        this.snapshotEveryBytes = b.snapshotEveryBytes;
        this.initialClusterState = b.initialClusterState;
        this.tls = b.tls;
        this.peerSecret = b.resolvedSecret == null ? null : b.resolvedSecret.clone();
        this.handshakeTimeoutMs = b.handshakeTimeoutMs;
        this.pendingHandshakesMax = b.pendingHandshakesMax;
    }

    /**
     * A builder with every default set and no members.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This node's id: positive, and among the voters or observers. Required.
     *
     * @return the id
     */
    public PeerId peerId() {
        return peerId;
    }

    /**
     * The voting members (leader and followers) and the address each listens on for quorum and
     * election traffic. At least one; an even number only with
     * {@link Builder#allowEvenVoters}.
     *
     * @return an unmodifiable map, sorted by id
     */
    public Map<PeerId, InetSocketAddress> voters() {
        return voters;
    }

    /**
     * The observers, which learn what is committed but never vote, and their addresses. Default
     * none.
     *
     * @return an unmodifiable map, sorted by id
     */
    public Map<PeerId, InetSocketAddress> observers() {
        return observers;
    }

    /**
     * Every member's address, voters and observers.
     *
     * @return a new map, sorted by id
     */
    public Map<PeerId, InetSocketAddress> members() {
        Map<PeerId, InetSocketAddress> all = new TreeMap<>(voters);
        all.putAll(observers);
        return all;
    }

    /**
     * The ensemble's name: every member must use the same one, and a transport refuses peers
     * that name another (two ensembles on the same hosts cannot mix). Default "zab"; 1 to 255
     * UTF-8 bytes.
     *
     * @return the cluster id
     */
    public String clusterId() {
        return clusterId;
    }

    /**
     * Where the node keeps its log, snapshots and epochs; empty (the default) for in-memory
     * storage, which nothing survives and which a storage failure cannot be recovered from.
     *
     * @return the data directory, or empty
     */
    public Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
    }

    /**
     * One tick, in milliseconds (default 100, positive): every protocol timeout counts ticks,
     * and the leader pings its learners every tick.
     *
     * @return the tick length in ms
     */
    public int tickIntervalMs() {
        return tickIntervalMs;
    }

    /**
     * How long each step of discovery and synchronization may take, in ticks (default 10,
     * positive).
     *
     * @return the limit in ticks
     */
    public int initLimitTicks() {
        return initLimitTicks;
    }

    /**
     * How long leader and follower may go without hearing each other, in ticks (default 10,
     * positive): past it the leader drops the follower and the follower gives up its leader.
     *
     * @return the limit in ticks
     */
    public int syncLimitTicks() {
        return syncLimitTicks;
    }

    /**
     * The largest txn {@code submit} accepts, in bytes (default 1 MiB; positive, at most
     * 64 MiB and at most {@link #pendingMaxBytes()}); a larger one fails with
     * {@link ZabException.TxnTooLargeException}. A PROPOSAL of this size plus its header must
     * fit the transport's frame; the default transport sizes its frames for it.
     *
     * @return the limit in bytes
     */
    public int maxTxnBytes() {
        return maxTxnBytes;
    }

    /**
     * Received messages (payload plus 64 bytes each) the protocol thread may have waiting;
     * past it the transport stops reading (TCP pushes back) until half of it is drained.
     * Default 64 MiB, positive.
     *
     * @return the limit in bytes
     */
    public long inboxMaxBytes() {
        return inboxMaxBytes;
    }

    /**
     * Requests (submits and syncs) this node's callers may have in flight, from the call until
     * its future completes; beyond it a call waits for room up to its own wait, or is refused
     * with OverloadedException (never applied). 1 to 1,000,000. Default: the leader's
     * {@link #proposalsInflightMax()} shared among the members (voters and observers) of the
     * configuration, at least 1 (3,333 for three members), and shared anew among the members
     * of each committed membership change ({@link #pendingMaxTxns(int)}), so that every
     * member's callers together cannot fill the leader's budget: excess load is refused at the
     * member it reached, where a refusal is cheap, and not after a forward to the leader.
     *
     * @return the limit in requests
     */
    public int pendingMaxTxns() {
        return pendingMaxTxns;
    }

    /**
     * The payload bytes of those requests (a sync counts none). Positive, at most 1 TiB, and at
     * least {@link #maxTxnBytes()}. Default: {@link #proposalsInflightMaxBytes()} shared among
     * the members like {@link #pendingMaxTxns()}, but at least {@link #maxTxnBytes()} (about
     * 10.7 MiB for three members).
     *
     * @return the limit in bytes
     */
    public long pendingMaxBytes() {
        return pendingMaxBytes;
    }

    /**
     * {@link #pendingMaxTxns()} for a membership of {@code members} voters and observers: the
     * value set, or the default derived for that many members. A node applies it whenever the
     * committed membership changes, so that the members' callers together still fit the
     * leader's budget after the ensemble grew (and use it whole after it shrank).
     *
     * @param members voters and observers of the committed membership
     * @return the limit in requests
     */
    public int pendingMaxTxns(int members) {
        return pendingTxnsSet ? pendingMaxTxns
                : Builder.derivedPendingTxns(proposalsInflightMax, members);
    }

    /**
     * {@link #pendingMaxBytes()} for a membership of {@code members}, as
     * {@link #pendingMaxTxns(int)}.
     *
     * @param members voters and observers of the committed membership
     * @return the limit in bytes
     */
    public long pendingMaxBytes(int members) {
        return pendingBytesSet ? pendingMaxBytes
                : Builder.derivedPendingBytes(proposalsInflightMaxBytes, maxTxnBytes, members);
    }

    /**
     * Txns a leader has proposed and not yet applied to its own state machine; beyond them it
     * holds a txn (local or forwarded) within its caller's wait, or refuses it as overloaded
     * (never applied). One txn always fits when none is in flight. A follower also forwards at
     * most this many txns not yet proposed. Default 10,000, positive.
     *
     * @return the limit in txns
     */
    public int proposalsInflightMax() {
        return proposalsInflightMax;
    }

    /**
     * The payload bytes of those txns (and of what a follower has forwarded). A follower also
     * acks only while what it holds unapplied fits this, so one with a slow state machine
     * becomes a slow follower instead of queueing without bound. Default 32 MiB, positive.
     *
     * @return the limit in bytes
     */
    public long proposalsInflightMaxBytes() {
        return proposalsInflightMaxBytes;
    }

    /**
     * Payload bytes of appends the log writer writes before one force (group commit): a batch
     * ends at this many bytes or when nothing more is queued, and takes at least one append, so a
     * larger txn is forced alone. The first txns of a batch wait for the whole batch's write and
     * force, so a batch well beyond what the disk writes in a few milliseconds only delays them.
     * Default 4 MiB, positive.
     *
     * @return the limit in bytes
     */
    public long groupCommitMaxBytes() {
        return groupCommitMaxBytes;
    }

    /**
     * Payload bytes a leader sends one learner (follower or observer) beyond what that learner
     * acknowledged; a slow learner falls behind inside the leader's history and catches up as
     * it acks, without slowing the others. Default 8 MiB, positive.
     *
     * @return the window in bytes
     */
    public long learnerWindowBytes() {
        return learnerWindowBytes;
    }

    /**
     * Snapshot bytes a leader sends one learner per second during SNAP, on average; 0 (the
     * default) for no limit beyond the learner's window. A limit keeps a catching-up node from
     * taking the leader's disk and network from the ensemble's writes. Counted per tick (at
     * least one byte a tick); negative values are refused.
     *
     * @return the limit in bytes per second, or 0
     */
    public long snapshotSendBytesPerSecond() {
        return snapshotSendBytesPerSecond;
    }

    /**
     * Txns a node keeps in memory to serve DIFF to a learner that reconnects. One that comes
     * back from further behind is still synced by DIFF, read from the leader's txn log on disk
     * in bounded reads within its window, as long as the log reaches back to it (it is purged
     * only up to the oldest snapshot kept, see {@link #snapshotEveryTxns()}) and it lacks no txn
     * of an earlier epoch than the leader's that only the log holds; otherwise it gets SNAP. A
     * leader keeps more while a connected learner lags (what that learner has not been sent
     * yet, up to {@link #historyMaxBytes()}), and txns the local state machine has not applied
     * yet are always kept. Kept small so that txns die young in the heap: a long history of a
     * fast stream is copied by every young collection. Default 10,000, positive.
     *
     * @return the limit in txns
     */
    public int historyMaxTxns() {
        return historyMaxTxns;
    }

    /**
     * Payload bytes of that history; whichever of the two limits binds first. Also the most a
     * leader keeps for connected learners that lag: one behind it is fed from the log, or
     * dropped to resync once the log does not reach back to it. Default 256 MiB, positive.
     *
     * @return the limit in bytes
     */
    public long historyMaxBytes() {
        return historyMaxBytes;
    }

    /**
     * How many delivered txns between two snapshots of the state machine; after one is saved
     * the log is purged up to the oldest kept snapshot. Default 100,000, positive.
     *
     * @return the interval in txns
     */
    public long snapshotEveryTxns() {
        return snapshotEveryTxns;
    }

    /**
     * Or after this many payload bytes of delivered txns, whichever comes first. Default
     * 256 MiB, positive.
     *
     * @return the interval in bytes
     */
    public long snapshotEveryBytes() {
        return snapshotEveryBytes;
    }

    /**
     * Whether the log is forced to disk (default true). False only for benchmarks: the log is
     * written but never forced, so not durable.
     *
     * @return false when the log is not forced
     */
    public boolean fsync() {
        return fsync;
    }

    /**
     * Whether this node founds the cluster or joins one that already ran (default
     * {@link InitialClusterState#NEW}; not null).
     *
     * @return the initial cluster state
     */
    public InitialClusterState initialClusterState() {
        return initialClusterState;
    }

    /**
     * TLS between members, if set (the default transport then requires it on every link).
     * Default none: peers are told apart by address and cluster id only.
     *
     * @return the TLS files, or empty
     */
    public Optional<Tls> tls() {
        return Optional.ofNullable(tls);
    }

    /**
     * The cluster secret members prove they hold when they connect, if set: each end of a new
     * connection sends a fresh random nonce and answers the other's with an HMAC-SHA256 over
     * both nonces, the cluster id and both ids, so a process without the secret is refused
     * before any protocol message is read, and a recorded handshake cannot be replayed.
     * Every member must have the same secret; with TLS as well, both are required. Default
     * none. The secret is never logged.
     *
     * @return a copy of the secret's bytes, or empty
     */
    public Optional<byte[]> peerSecret() {
        return Optional.ofNullable(peerSecret).map(byte[]::clone);
    }

    /**
     * How long a new connection may take to finish TLS and the handshake (authentication
     * included) before it is closed, in ms (default 2,000, positive). A peer that connects and
     * says nothing holds a descriptor no longer than this.
     *
     * @return the timeout in ms
     */
    public int handshakeTimeoutMs() {
        return handshakeTimeoutMs;
    }

    /**
     * Accepted connections that have not finished their handshake this node keeps at once
     * (default 64, positive); a connection accepted beyond it is closed at once and counted as
     * a refused handshake. Members reconnect with backoff, so a flood of strangers delays them
     * at most until it stops.
     *
     * @return the limit in connections
     */
    public int pendingHandshakesMax() {
        return pendingHandshakesMax;
    }

    /** Collects settings; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {
        private Tls tls;
        private byte[] peerSecret;
        private Path peerSecretFile;
        private byte[] resolvedSecret;
        private int handshakeTimeoutMs = 2_000;
        private int pendingHandshakesMax = 64;
        private PeerId peerId;
        private final Map<PeerId, InetSocketAddress> voters = new TreeMap<>();
        private final Map<PeerId, InetSocketAddress> observers = new TreeMap<>();
        private Path dataDir;
        private String clusterId = "zab";
        private int tickIntervalMs = 100;
        private int initLimitTicks = 10;
        private int syncLimitTicks = 10;
        private int maxTxnBytes = 1 << 20;
        private long inboxMaxBytes = 64L << 20;
        /** Null until set: then derived from the leader's budget and the member count. */
        private Integer pendingMaxTxns;
        private Long pendingMaxBytes;
        private int proposalsInflightMax = 10_000;
        private long proposalsInflightMaxBytes = CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES;
        private long learnerWindowBytes = CoreConfig.LEARNER_WINDOW_BYTES;
        private long groupCommitMaxBytes = 4L << 20;
        private long snapshotSendBytesPerSecond;
        private int historyMaxTxns = 10_000;
        private long historyMaxBytes = CoreConfig.HISTORY_MAX_BYTES;
        private boolean evenVotersAllowed;
        private boolean fsync = true;
        private long snapshotEveryTxns = 100_000;
        private long snapshotEveryBytes = 256L << 20;
        private InitialClusterState initialClusterState = InitialClusterState.NEW;
        private String duplicate;

        /**
         * This node's id. Required; {@link #build()} checks it is among the voters or
         * observers.
         *
         * @param id the id, 1 or more
         * @return this builder
         * @throws IllegalArgumentException at once if {@code id} is 0 or negative
         */
        public Builder peerId(int id) {
            this.peerId = new PeerId(id);
            return this;
        }

        /**
         * Adds a voting member (this node too, if it votes). An id listed twice, as voter or
         * observer, fails {@link #build()}.
         *
         * @param id the member's id, 1 or more
         * @param address where it listens for quorum and election traffic (one port)
         * @return this builder
         * @throws IllegalArgumentException at once if {@code id} is 0 or negative
         */
        public Builder voter(int id, InetSocketAddress address) {
            return member(voters, id, address);
        }

        /**
         * Adds an observer (this node too, if it observes): it learns what is committed but
         * never votes. An id listed twice, as voter or observer, fails {@link #build()}.
         *
         * @param id the member's id, 1 or more
         * @param address where it listens for quorum and election traffic (one port)
         * @return this builder
         * @throws IllegalArgumentException at once if {@code id} is 0 or negative
         */
        public Builder observer(int id, InetSocketAddress address) {
            return member(observers, id, address);
        }

        private Builder member(Map<PeerId, InetSocketAddress> into, int id,
                InetSocketAddress address) {
            PeerId p = new PeerId(id);
            if (voters.containsKey(p) || observers.containsKey(p)) {
                duplicate = "peers: id " + id + " is listed twice";
            }
            into.put(p, address);
            return this;
        }

        /**
         * See {@link ZabConfig#dataDir()}; default none (in memory). {@link #build()} creates
         * the directory if it is missing and fails if it is not readable and writable.
         *
         * @param dir the data directory, or null for in-memory storage
         * @return this builder
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /**
         * See {@link ZabConfig#clusterId()}; default "zab", 1 to 255 UTF-8 bytes.
         *
         * @param v the cluster id
         * @return this builder
         */
        public Builder clusterId(String v) {
            this.clusterId = v;
            return this;
        }

        /**
         * See {@link ZabConfig#tickIntervalMs()}; default 100.
         *
         * @param v the tick length in ms, positive
         * @return this builder
         */
        public Builder tickIntervalMs(int v) {
            this.tickIntervalMs = v;
            return this;
        }

        /**
         * See {@link ZabConfig#initLimitTicks()}; default 10.
         *
         * @param v the limit in ticks, positive
         * @return this builder
         */
        public Builder initLimitTicks(int v) {
            this.initLimitTicks = v;
            return this;
        }

        /**
         * See {@link ZabConfig#syncLimitTicks()}; default 10.
         *
         * @param v the limit in ticks, positive
         * @return this builder
         */
        public Builder syncLimitTicks(int v) {
            this.syncLimitTicks = v;
            return this;
        }

        /**
         * See {@link ZabConfig#maxTxnBytes()}; default 1 MiB.
         *
         * @param v the largest txn in bytes: positive, at most 64 MiB and at most pendingMaxBytes
         * @return this builder
         */
        public Builder maxTxnBytes(int v) {
            this.maxTxnBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#inboxMaxBytes()}; default 64 MiB.
         *
         * @param v the limit in bytes, positive
         * @return this builder
         */
        public Builder inboxMaxBytes(long v) {
            this.inboxMaxBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#pendingMaxTxns()}; default proposalsInflightMax / members.
         *
         * @param v the limit in requests, 1 to 1,000,000
         * @return this builder
         */
        public Builder pendingMaxTxns(int v) {
            this.pendingMaxTxns = v;
            return this;
        }

        /**
         * See {@link ZabConfig#pendingMaxBytes()}; default proposalsInflightMaxBytes / members.
         *
         * @param v the limit in bytes: at least maxTxnBytes, at most 1 TiB
         * @return this builder
         */
        public Builder pendingMaxBytes(long v) {
            this.pendingMaxBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#proposalsInflightMax()}; default 10,000.
         *
         * @param v the limit in txns, positive
         * @return this builder
         */
        public Builder proposalsInflightMax(int v) {
            this.proposalsInflightMax = v;
            return this;
        }

        /**
         * See {@link ZabConfig#proposalsInflightMaxBytes()}; default 32 MiB.
         *
         * @param v the limit in bytes, positive
         * @return this builder
         */
        public Builder proposalsInflightMaxBytes(long v) {
            this.proposalsInflightMaxBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#groupCommitMaxBytes()}; default 4 MiB.
         *
         * @param v the limit in bytes, positive
         * @return this builder
         */
        public Builder groupCommitMaxBytes(long v) {
            this.groupCommitMaxBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#learnerWindowBytes()}; default 8 MiB.
         *
         * @param v the window in bytes, positive
         * @return this builder
         */
        public Builder learnerWindowBytes(long v) {
            this.learnerWindowBytes = v;
            return this;
        }

        /**
         * See {@link ZabConfig#snapshotSendBytesPerSecond()}; default 0 (no limit).
         *
         * @param v the limit in bytes per second, or 0 for none
         * @return this builder
         */
        public Builder snapshotSendBytesPerSecond(long v) {
            this.snapshotSendBytesPerSecond = v;
            return this;
        }

        /**
         * See {@link ZabConfig#historyMaxTxns()}; default 10,000.
         *
         * @param v the limit in txns, positive
         * @return this builder
         */
        public Builder historyMaxTxns(int v) {
            this.historyMaxTxns = v;
            return this;
        }

        /**
         * See {@link ZabConfig#historyMaxBytes()}; default 256 MiB.
         *
         * @param v the limit in bytes, positive
         * @return this builder
         */
        public Builder historyMaxBytes(long v) {
            this.historyMaxBytes = v;
            return this;
        }

        /**
         * Whether the log writer forces the log to disk (default true). Off, acknowledged txns
         * can be lost on a power failure: for comparison benchmarks only. See
         * {@link ZabConfig#fsync()}.
         *
         * @param force false to write the log without forcing it
         * @return this builder
         */
        public Builder fsync(boolean force) {
            this.fsync = force;
            return this;
        }

        /**
         * Snapshot the state machine (and let the log shrink) every this many txns; default
         * 100,000. See {@link ZabConfig#snapshotEveryTxns()}.
         *
         * @param v the interval in txns, positive
         * @return this builder
         */
        public Builder snapshotEveryTxns(long v) {
            this.snapshotEveryTxns = v;
            return this;
        }

        /**
         * Or every this many bytes of delivered txns, whichever comes first; default 256 MiB.
         * See {@link ZabConfig#snapshotEveryBytes()}.
         *
         * @param v the interval in bytes, positive
         * @return this builder
         */
        public Builder snapshotEveryBytes(long v) {
            this.snapshotEveryBytes = v;
            return this;
        }

        /**
         * {@link InitialClusterState#NEW} (default) when this node founds the cluster with the
         * others; {@link InitialClusterState#EXISTING} when it (re)joins a cluster that already
         * ran, above all after its data directory was lost: it then votes only once synced;
         * {@link InitialClusterState#JOIN} for a new server a membership change will add.
         *
         * @param state NEW, EXISTING or JOIN; null fails {@link #build()}
         * @return this builder
         */
        public Builder initialClusterState(InitialClusterState state) {
            this.initialClusterState = state;
            return this;
        }

        /**
         * See {@link ZabConfig#tls()}; off by default.
         *
         * @param value the TLS files, or null for none
         * @return this builder
         */
        public Builder tls(Tls value) {
            this.tls = value;
            return this;
        }

        /**
         * See {@link ZabConfig#peerSecret()}; default none. The same bytes on every member, at
         * least {@link ZabConfig#PEER_SECRET_MIN_BYTES}; use random bytes, not a password.
         *
         * @param secret the secret (copied), or null for none
         * @return this builder
         */
        public Builder peerSecret(byte[] secret) {
            this.peerSecret = secret == null ? null : secret.clone();
            this.peerSecretFile = null;
            return this;
        }

        /**
         * Reads {@link ZabConfig#peerSecret()} from a file at {@link #build()}: its bytes, less
         * trailing CR and LF characters (so a file written by {@code echo} works). The build
         * fails, naming the file, if it cannot be read or holds fewer than
         * {@link ZabConfig#PEER_SECRET_MIN_BYTES} bytes. Keep it readable by the server's user
         * alone.
         *
         * @param file the secret file, or null for none
         * @return this builder
         */
        public Builder peerSecretFile(Path file) {
            this.peerSecretFile = file;
            this.peerSecret = null;
            return this;
        }

        /**
         * See {@link ZabConfig#handshakeTimeoutMs()}; default 2,000.
         *
         * @param v the timeout in ms, positive
         * @return this builder
         */
        public Builder handshakeTimeoutMs(int v) {
            this.handshakeTimeoutMs = v;
            return this;
        }

        /**
         * See {@link ZabConfig#pendingHandshakesMax()}; default 64.
         *
         * @param v the limit in connections, positive
         * @return this builder
         */
        public Builder pendingHandshakesMax(int v) {
            this.pendingHandshakesMax = v;
            return this;
        }

        /**
         * An even number of voters tolerates no more faults than one fewer; say you mean it.
         * Default false: an even number of voters fails {@link #build()}.
         *
         * @param allow true to accept an even number of voters
         * @return this builder
         */
        public Builder allowEvenVoters(boolean allow) {
            this.evenVotersAllowed = allow;
            return this;
        }

        /**
         * Checks the settings and makes the config. Creates the data directory if it is missing.
         *
         * @return the config
         * @throws IllegalArgumentException for a bad value or relation, the message starting with
         *     the key it concerns ({@code "peers: "} for an id listed twice)
         */
        public ZabConfig build() {
            if (duplicate != null) {
                throw new IllegalArgumentException(duplicate);
            }
            if (peerId == null) {
                throw new IllegalArgumentException("peerId: not set");
            }
            if (!voters.containsKey(peerId) && !observers.containsKey(peerId)) {
                // JOIN lists this node too: that is where it learns its own address.
                throw new IllegalArgumentException("peerId: " + peerId
                        + " is not among the voters " + voters.keySet() + " or observers "
                        + observers.keySet());
            }
            if (voters.isEmpty()) {
                throw new IllegalArgumentException("voters: none configured");
            }
            if (initialClusterState == null) {
                throw new IllegalArgumentException("initialClusterState: must be NEW, EXISTING"
                        + " or JOIN, was null");
            }
            // A joining node lists itself but is not one of the running cluster's voters yet.
            int running = voters.size() - (initialClusterState == InitialClusterState.JOIN
                    && voters.containsKey(peerId) ? 1 : 0);
            if (running % 2 == 0 && !evenVotersAllowed) {
                throw new IllegalArgumentException("voters: " + running
                        + " voters is even; use an odd count or allowEvenVoters(true)");
            }
            int idBytes = clusterId == null ? 0
                    : clusterId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (idBytes < 1 || idBytes > 255) {
                throw new IllegalArgumentException("clusterId: must be 1 to 255 UTF-8 bytes, was "
                        + (clusterId == null ? "null" : "'" + clusterId + "'"));
            }
            positive("tickIntervalMs", tickIntervalMs);
            positive("initLimitTicks", initLimitTicks);
            positive("syncLimitTicks", syncLimitTicks);
            positive("maxTxnBytes", maxTxnBytes);
            positive("inboxMaxBytes", inboxMaxBytes);
            positive("proposalsInflightMax", proposalsInflightMax);
            positive("proposalsInflightMaxBytes", proposalsInflightMaxBytes);
            positive("pendingMaxTxns", pendingTxns());
            positive("pendingMaxBytes", pendingBytes());
            positive("learnerWindowBytes", learnerWindowBytes);
            positive("groupCommitMaxBytes", groupCommitMaxBytes);
            if (snapshotSendBytesPerSecond < 0) {
                throw new IllegalArgumentException("snapshotSendBytesPerSecond: must be 0 (no"
                        + " limit) or positive, was " + snapshotSendBytesPerSecond);
            }
            positive("historyMaxTxns", historyMaxTxns);
            positive("historyMaxBytes", historyMaxBytes);
            if (snapshotEveryBytes <= 0) {
                throw new IllegalArgumentException("snapshotEveryBytes: must be positive, was "
                        + snapshotEveryBytes);
            }
            if (snapshotEveryTxns <= 0) {
                throw new IllegalArgumentException("snapshotEveryTxns: must be positive, was "
                        + snapshotEveryTxns);
            }
            checkDataDir();
            checkTls();
            checkPeerSecret();
            positive("handshakeTimeoutMs", handshakeTimeoutMs);
            positive("pendingHandshakesMax", pendingHandshakesMax);
            if (maxTxnBytes > (64 << 20)) {
                throw new IllegalArgumentException("maxTxnBytes: " + maxTxnBytes
                        + " is above the 64 MiB limit");
            }
            if (pendingTxns() > 1_000_000) {
                throw new IllegalArgumentException("pendingMaxTxns: " + pendingTxns()
                        + " is above the limit of 1,000,000");
            }
            if (pendingBytes() > (1L << 40)) {
                throw new IllegalArgumentException("pendingMaxBytes: " + pendingBytes()
                        + " is above the limit of 1 TiB");
            }
            if (maxTxnBytes > pendingBytes()) {
                throw new IllegalArgumentException("pendingMaxBytes: " + pendingBytes()
                        + " cannot hold one txn of maxTxnBytes " + maxTxnBytes);
            }
            return new ZabConfig(this);
        }

        /*
         * An unset pending budget is the leader's in-flight budget shared among the members,
         * since a member's pending requests include everything it forwarded that the leader
         * holds. With the sum within the leader's budget, a storm is refused where it arrives;
         * measured with bench --overload (10x the peak, 3 nodes): 10,000 a node let the leader
         * refuse forwarded txns and committed about half the peak, a third of the leader's
         * budget about all of it.
         */
        private int pendingTxns() {
            return pendingMaxTxns != null ? pendingMaxTxns
                    : derivedPendingTxns(proposalsInflightMax, voters.size() + observers.size());
        }

        private long pendingBytes() {
            return pendingMaxBytes != null ? pendingMaxBytes
                    : derivedPendingBytes(proposalsInflightMaxBytes, maxTxnBytes,
                            voters.size() + observers.size());
        }

        static int derivedPendingTxns(int proposalsInflightMax, int members) {
            return Math.max(1, proposalsInflightMax / Math.max(1, members));
        }

        static long derivedPendingBytes(long proposalsInflightMaxBytes, int maxTxnBytes,
                int members) {
            return Math.max(maxTxnBytes, proposalsInflightMaxBytes / Math.max(1, members));
        }

        private void checkTls() {
            if (tls == null) {
                return;
            }
            for (Path p : List.of(tls.privateKeyPem(), tls.certificateChainPem(),
                    tls.trustedCaPem())) {
                if (!java.nio.file.Files.isReadable(p)) {
                    throw new IllegalArgumentException("tls: cannot read " + p);
                }
            }
        }

        private void checkPeerSecret() {
            if (peerSecretFile != null) {
                byte[] bytes;
                try {
                    bytes = java.nio.file.Files.readAllBytes(peerSecretFile);
                } catch (java.io.IOException | RuntimeException e) {
                    throw new IllegalArgumentException("peerSecretFile: cannot read "
                            + peerSecretFile + ": " + e, e);
                }
                int n = bytes.length;
                while (n > 0 && (bytes[n - 1] == '\n' || bytes[n - 1] == '\r')) {
                    n--;
                }
                if (n < PEER_SECRET_MIN_BYTES) {
                    throw new IllegalArgumentException("peerSecretFile: " + peerSecretFile
                            + " holds " + n + " bytes" + (n == 0 ? " (empty)" : "")
                            + "; a peer secret needs at least " + PEER_SECRET_MIN_BYTES);
                }
                resolvedSecret = java.util.Arrays.copyOf(bytes, n);
                java.util.Arrays.fill(bytes, (byte) 0);
                return;
            }
            if (peerSecret != null && peerSecret.length < PEER_SECRET_MIN_BYTES) {
                throw new IllegalArgumentException("peerSecret: " + peerSecret.length
                        + " bytes; a peer secret needs at least " + PEER_SECRET_MIN_BYTES);
            }
            resolvedSecret = peerSecret;
        }

        private void checkDataDir() {
            if (dataDir == null) {
                return;
            }
            try {
                java.nio.file.Files.createDirectories(dataDir);
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("dataDir: cannot create " + dataDir + ": "
                        + e.getMessage(), e);
            }
            if (!java.nio.file.Files.isWritable(dataDir)
                    || !java.nio.file.Files.isReadable(dataDir)) {
                throw new IllegalArgumentException("dataDir: " + dataDir
                        + " is not readable and writable");
            }
        }

        private static void positive(String key, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(key + ": must be positive, was " + value);
            }
        }
    }
}
