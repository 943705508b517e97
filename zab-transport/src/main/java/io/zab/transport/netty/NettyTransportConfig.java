package io.zab.transport.netty;

import io.zab.PeerId;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Everything {@link NettyTransport} needs: the listening address of every member (this node's
 * included; {@link NettyTransport#start} picks its own by id), the cluster id both ends of a
 * connection must share, and the limits. Immutable; built once with {@link #builder()}, whose
 * {@code build()} checks every value and names the key that is wrong.
 *
 * <p>Any thread.
 */
public final class NettyTransportConfig {
    /** Longest cluster id, in UTF-8 bytes (it travels in the handshake). */
    public static final int MAX_CLUSTER_ID_BYTES = 255;

    private final String clusterId;
    private final Map<PeerId, InetSocketAddress> peers;
    private final int maxFrameBytes;
    private final int connectTimeoutMs;
    private final int handshakeTimeoutMs;
    private final int reconnectBackoffMinMs;
    private final int reconnectBackoffMaxMs;
    private final long jitterSeed;
    private final int outboundQueueMessages;
    private final int ioThreads;
    private final boolean preferNativeTransport;
    private final Tls tls;
    private final byte[] peerSecret;
    private final int pendingHandshakesMax;
    private final LongSupplier nanoTime;

    private NettyTransportConfig(Builder b) {
        this.clusterId = b.clusterId;
        this.peers = Map.copyOf(b.peers);
        this.maxFrameBytes = b.maxFrameBytes;
        this.connectTimeoutMs = b.connectTimeoutMs;
        this.handshakeTimeoutMs = b.handshakeTimeoutMs;
        this.reconnectBackoffMinMs = b.reconnectBackoffMinMs;
        this.reconnectBackoffMaxMs = b.reconnectBackoffMaxMs;
        this.jitterSeed = b.jitterSeed;
        this.outboundQueueMessages = b.outboundQueueMessages;
        this.ioThreads = b.ioThreads;
        this.preferNativeTransport = b.preferNativeTransport;
        this.tls = b.tls;
        this.peerSecret = b.peerSecret == null ? null : b.peerSecret.clone();
        this.pendingHandshakesMax = b.pendingHandshakesMax;
        this.nanoTime = b.nanoTime;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Both ends of every connection must name the same cluster id in the handshake. */
    public String clusterId() {
        return clusterId;
    }

    /**
     * The listening address of every member, this node's included: the peers at start, until
     * {@link NettyTransport#updatePeers} replaces them.
     */
    public Map<PeerId, InetSocketAddress> peers() {
        return peers;
    }

    /**
     * Largest encoded message in a frame (the frame header comes on top), for every message
     * alike (a snapshot goes in chunks no larger than a txn); default 1 MiB plus 1 KiB.
     */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    public int connectTimeoutMs() {
        return connectTimeoutMs;
    }

    /** How long a new connection may take to complete TLS and the zab handshake. */
    public int handshakeTimeoutMs() {
        return handshakeTimeoutMs;
    }

    public int reconnectBackoffMinMs() {
        return reconnectBackoffMinMs;
    }

    public int reconnectBackoffMaxMs() {
        return reconnectBackoffMaxMs;
    }

    /** Seed of the reconnect jitter; each peer link derives its own stream from it. */
    public long jitterSeed() {
        return jitterSeed;
    }

    /** Messages a peer's outbound queue holds before the connection is dropped as too slow. */
    public int outboundQueueMessages() {
        return outboundQueueMessages;
    }

    public int ioThreads() {
        return ioThreads;
    }

    /** Use Linux epoll when Netty's native library loads; NIO otherwise. */
    public boolean preferNativeTransport() {
        return preferNativeTransport;
    }

    /** Mutual TLS, if configured. */
    public Optional<Tls> tls() {
        return Optional.ofNullable(tls);
    }

    /**
     * The cluster secret of the handshake's challenge-response (see {@link
     * io.zab.transport.netty.codec.Handshake}), if configured.
     */
    public Optional<byte[]> peerSecret() {
        return Optional.ofNullable(peerSecret).map(byte[]::clone);
    }

    /** Accepted connections still in their handshake at once; more are closed at once. */
    public int pendingHandshakesMax() {
        return pendingHandshakesMax;
    }

    /** The clock of the refusal log's once-a-minute rule (System::nanoTime unless a test's). */
    public LongSupplier nanoTime() {
        return nanoTime;
    }

    /**
     * Mutual TLS material as PEM files: this node's PKCS#8 private key, its certificate chain,
     * and the CA certificate(s) a peer's certificate must be signed by. A peer's certificate must
     * also name its sid: its subject CN is {@link #commonName(PeerId)}. Immutable; any thread.
     */
    public record Tls(Path privateKeyPem, Path certificateChainPem, Path trustedCaPem) {
        public Tls {
            Objects.requireNonNull(privateKeyPem, "tls.privateKeyPem");
            Objects.requireNonNull(certificateChainPem, "tls.certificateChainPem");
            Objects.requireNonNull(trustedCaPem, "tls.trustedCaPem");
        }

        /** The subject CN the certificate of peer {@code sid} must carry: {@code zab-<sid>}. */
        public static String commonName(PeerId sid) {
            return "zab-" + sid.value();
        }
    }

    /** Collects and validates the settings; not thread-safe. */
    public static final class Builder {
        private String clusterId;
        private final Map<PeerId, InetSocketAddress> peers = new TreeMap<>();
        // A txn of ZabConfig's default maxTxnBytes (1 MiB) plus its PROPOSAL header.
        private int maxFrameBytes = (1 << 20) + 1024;
        private int connectTimeoutMs = 3_000;
        private int handshakeTimeoutMs = 2_000;
        private int reconnectBackoffMinMs = 100;
        private int reconnectBackoffMaxMs = 5_000;
        private long jitterSeed = System.nanoTime();
        // Must hold a whole DIFF (ZabConfig.historyMaxTxns, 100,000 by default); broadcast adds
        // at most a learner's window (learnerWindowBytes) beyond it. A full queue drops the
        // connection and the learner starts its sync over.
        private int outboundQueueMessages = 262_144;
        private int ioThreads = 2;
        private boolean preferNativeTransport = true;
        private Tls tls;
        private byte[] peerSecret;
        private int pendingHandshakesMax = 64;
        private LongSupplier nanoTime = System::nanoTime;

        private Builder() {
        }

        public Builder clusterId(String value) {
            this.clusterId = value;
            return this;
        }

        public Builder peer(PeerId id, InetSocketAddress address) {
            peers.put(Objects.requireNonNull(id, "peer id"), address);
            return this;
        }

        public Builder peers(Map<PeerId, InetSocketAddress> all) {
            all.forEach(this::peer);
            return this;
        }

        public Builder maxFrameBytes(int value) {
            this.maxFrameBytes = value;
            return this;
        }

        public Builder connectTimeoutMs(int value) {
            this.connectTimeoutMs = value;
            return this;
        }

        public Builder handshakeTimeoutMs(int value) {
            this.handshakeTimeoutMs = value;
            return this;
        }

        public Builder reconnectBackoffMs(int min, int max) {
            this.reconnectBackoffMinMs = min;
            this.reconnectBackoffMaxMs = max;
            return this;
        }

        public Builder jitterSeed(long value) {
            this.jitterSeed = value;
            return this;
        }

        /** Messages queued per peer before the connection is dropped (default 262,144). */
        public Builder outboundQueueMessages(int value) {
            this.outboundQueueMessages = value;
            return this;
        }

        public Builder ioThreads(int value) {
            this.ioThreads = value;
            return this;
        }

        public Builder preferNativeTransport(boolean value) {
            this.preferNativeTransport = value;
            return this;
        }

        public Builder tls(Tls value) {
            this.tls = value;
            return this;
        }

        /** The cluster secret (copied; at least 16 bytes), or null for none. */
        public Builder peerSecret(byte[] value) {
            this.peerSecret = value == null ? null : value.clone();
            return this;
        }

        /** Accepted connections in their handshake at once (default 64). */
        public Builder pendingHandshakesMax(int value) {
            this.pendingHandshakesMax = value;
            return this;
        }

        /** The refusal log's clock; tests give a fake one. */
        public Builder nanoTime(LongSupplier value) {
            this.nanoTime = Objects.requireNonNull(value, "nanoTime");
            return this;
        }

        /** @throws IllegalArgumentException naming the first setting that is invalid */
        public NettyTransportConfig build() {
            if (clusterId == null || clusterId.isEmpty()
                    || clusterId.getBytes(StandardCharsets.UTF_8).length > MAX_CLUSTER_ID_BYTES) {
                throw new IllegalArgumentException("clusterId must be 1 to "
                        + MAX_CLUSTER_ID_BYTES + " UTF-8 bytes: " + clusterId);
            }
            if (peers.isEmpty()) {
                throw new IllegalArgumentException("peers must name at least this node");
            }
            peers.forEach((id, address) -> {
                if (address == null || address.isUnresolved() || address.getPort() == 0) {
                    throw new IllegalArgumentException("peers[" + id + "] must be a resolved"
                            + " address with a fixed port: " + address);
                }
            });
            atLeast("maxFrameBytes", maxFrameBytes, 64);
            atLeast("connectTimeoutMs", connectTimeoutMs, 1);
            atLeast("handshakeTimeoutMs", handshakeTimeoutMs, 1);
            atLeast("reconnectBackoffMinMs", reconnectBackoffMinMs, 1);
            atLeast("reconnectBackoffMaxMs", reconnectBackoffMaxMs, reconnectBackoffMinMs);
            atLeast("outboundQueueMessages", outboundQueueMessages, 1);
            atLeast("ioThreads", ioThreads, 1);
            atLeast("pendingHandshakesMax", pendingHandshakesMax, 1);
            if (peerSecret != null && peerSecret.length < io.zab.ZabConfig.PEER_SECRET_MIN_BYTES) {
                throw new IllegalArgumentException("peerSecret must be at least 16 bytes: "
                        + peerSecret.length);
            }
            if (maxFrameBytes > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("maxFrameBytes too large: " + maxFrameBytes);
            }
            return new NettyTransportConfig(this);
        }

        private static void atLeast(String key, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(key + " must be at least " + min + ": "
                        + value);
            }
        }
    }
}
