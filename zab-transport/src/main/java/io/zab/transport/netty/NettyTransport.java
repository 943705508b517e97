package io.zab.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.zab.PeerId;
import io.zab.protocol.message.Message;
import io.zab.transport.Transport;
import io.zab.transport.netty.codec.FrameDecoder;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.MessageDecoder;
import io.zab.transport.netty.codec.MessageEncoder;
import io.zab.transport.netty.codec.PeerAuth;
import io.zab.transport.netty.handler.AcceptGuard;
import io.zab.transport.netty.handler.ConnectionGuard;
import io.zab.transport.netty.handler.HandshakeHandler;
import io.zab.transport.netty.handler.InboundHandler;
import io.zab.transport.netty.handler.Strangers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} over TCP with Netty: one listening address per node, used for both quorum
 * and election traffic; length-prefixed frames with a CRC32C; a handshake carrying protocol
 * version, cluster id and sid, with the sid bound to an identity (the TLS certificate, or else
 * the configured address the connection must come from); exactly one connection per pair of
 * nodes (see {@link PeerLink}); a bounded outbound queue per peer; reconnects with exponential
 * backoff and seeded jitter; native epoll when available, NIO otherwise.
 *
 * <p>The peers are the configured ones until {@link #updatePeers} replaces them (a membership
 * change): a peer added is dialed and accepted like a configured one, a peer removed has its
 * connection closed and is refused afterwards like any unknown sid, and a peer whose address
 * changed is dialed again at the new one (its connections must then come from there).
 *
 * <p>Threading: {@link #send} and {@link #updatePeers} from any thread, never blocking on the
 * network. {@link #start} and {@link #close} from the owner's thread. Receiver callbacks come
 * from the transport's event loops, one loop per peer (a peer keeps its loop across address
 * changes), so callbacks about one peer are serialized; they must only enqueue.
 */
public final class NettyTransport implements Transport {
    static final AttributeKey<Outbox> OUTBOX = AttributeKey.valueOf("zab.outbox");
    static final AttributeKey<String> FAILURE = AttributeKey.valueOf("zab.failure");
    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);

    private final NettyTransportConfig config;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Wiring wiring = new Wiring();
    private volatile PeerId self;
    private volatile Receiver receiver;
    /** The current peers' links; replaced whole (copy on write) under {@link #peersLock}. */
    private volatile Map<PeerId, PeerLink> links = Map.of();
    /**
     * Peers that were removed and not added again: a send to one is a message for a member that
     * just left, dropped, not a bug. Ids only, so a few bytes per peer that ever left.
     */
    private final Set<PeerId> former = ConcurrentHashMap.newKeySet();
    private final Object peersLock = new Object();
    /** Jitter seeds of new links; under {@link #peersLock}. */
    private SplittableRandom linkSeeds;
    private InetSocketAddress ownAddress;
    private TlsContexts tls;
    private PeerAuth auth;
    private Strangers strangers;
    private EventLoopGroup group;
    private Class<? extends Channel> socketClass;
    private Channel server;
    private boolean epoll;

    public NettyTransport(NettyTransportConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public void start(PeerId self, Receiver receiver) throws Exception {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("transport already started");
        }
        InetSocketAddress own = config.peers().get(self);
        if (own == null) {
            throw new IllegalArgumentException("peers has no address for this node (sid "
                    + self + ")");
        }
        this.self = self;
        this.receiver = Objects.requireNonNull(receiver, "receiver");
        this.ownAddress = own;
        this.tls = config.tls().map(TlsContexts::load).orElse(null);
        // One SecureRandom per transport (thread-safe), not a process-wide one shared with
        // unrelated code; nonces only need to be unpredictable and never repeat.
        this.auth = config.peerSecret().map(s -> new PeerAuth(s, new SecureRandom()))
                .orElse(null);
        this.strangers = new Strangers(config.pendingHandshakesMax(), config.nanoTime(),
                this::handshakeRefused);
        Class<? extends ServerChannel> serverClass = openEventLoops();
        this.links = createLinks();
        try {
            server = new ServerBootstrap().group(group).channel(serverClass)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (strangers.arrived(ch)) {
                                initPipeline(ch, null);
                            }
                        }
                    })
                    .bind(own).sync().channel();
            // After Netty's acceptor, which pauses accepting for a second on a failed accept:
            // this one only reports it (descriptor exhaustion, clearly and once a minute).
            server.pipeline().addLast("accept-guard", new AcceptGuard(self, config.nanoTime()));
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
            throw new IllegalStateException("sid " + self + " cannot listen on " + own + ": "
                    + e.getMessage(), e);
        }
        LOG.info("Sid {} listening on {} for quorum and election traffic ({}, {})", self,
                server.localAddress(), epoll ? "epoll" : "nio", security());
        if (tls == null && auth == null) {
            LOG.warn("Sid {}: no peer secret and no TLS: peers are identified by their address"
                    + " only, so any process that can connect from a member's address can act as"
                    + " that member; configure peerSecret or tls", self);
        }
    }

    private String security() {
        if (tls != null) {
            return auth != null ? "mutual TLS and peer secret" : "mutual TLS";
        }
        return auth != null ? "plaintext, peers authenticated by the peer secret"
                : "plaintext, peers identified by address only";
    }

    private void handshakeRefused() {
        Receiver r = receiver;
        if (r != null && !closed.get()) {
            r.onHandshakeRefused();
        }
    }

    /** For tests: accepted connections still in their handshake. */
    int pendingHandshakes() {
        return strangers.pending();
    }

    private Class<? extends ServerChannel> openEventLoops() {
        DefaultThreadFactory threads = new DefaultThreadFactory("zab-io-" + self, true);
        epoll = config.preferNativeTransport() && Epoll.isAvailable();
        if (epoll) {
            group = new EpollEventLoopGroup(config.ioThreads(), threads);
            socketClass = EpollSocketChannel.class;
            return EpollServerSocketChannel.class;
        }
        group = new NioEventLoopGroup(config.ioThreads(), threads);
        socketClass = NioSocketChannel.class;
        return NioServerSocketChannel.class;
    }

    private Map<PeerId, PeerLink> createLinks() {
        // Each link derives its own jitter stream; mixing in our sid keeps nodes that share
        // a configured seed from backing off in lockstep.
        Map<PeerId, PeerLink> out = new TreeMap<>();
        synchronized (peersLock) {
            linkSeeds = new SplittableRandom(config.jitterSeed()
                    ^ (self.value() * 0x9E37_79B9_7F4A_7C15L));
            new TreeMap<>(config.peers()).forEach((peer, address) -> {
                if (!peer.equals(self)) {
                    out.put(peer, newLink(peer, address, group.next()));
                }
            });
        }
        return Map.copyOf(out);
    }

    /** Under {@link #peersLock}. */
    private PeerLink newLink(PeerId peer, InetSocketAddress address, EventLoop loop) {
        return new PeerLink(peer, address, loop, this, new Backoff(
                config.reconnectBackoffMinMs(), config.reconnectBackoffMaxMs(),
                linkSeeds.split()), config.outboundQueueMessages());
    }

    /**
     * Makes {@code peers} (this node excluded) the ones this node talks to. A peer kept at the
     * same address keeps its connection and queue. A peer removed, or moved to another address,
     * has its link retired on the link's loop: the connection is closed (a removed peer's after
     * what was queued for it went out, {@link PeerLink#RETIRE_GRACE_MS} at most; a moved peer's
     * at once, its queue dropped), and the receiver hears {@code onDisconnected} once, after every
     * message delivered from that link. A moved peer's new link lives on the same loop, so that
     * disconnect also comes before anything from the new address, and it dials at once (the
     * old link may have been carrying traffic); a peer added dials when something is sent, as
     * configured ones do. From then on the handshakes of a removed peer are refused as from any
     * unknown sid, and a moved one must connect from its new address.
     *
     * <p>Any thread; never blocks (the links' work is queued to their loops).
     *
     * @throws IllegalArgumentException if {@code peers} names this node, or an address is
     *     unresolved or has port 0 (nothing could be dialed there)
     * @throws IllegalStateException before {@link #start}
     */
    @Override
    public void updatePeers(Map<PeerId, InetSocketAddress> peers) {
        Map<PeerId, InetSocketAddress> wanted = new TreeMap<>(peers);
        if (!started.get()) {
            throw new IllegalStateException("transport not started");
        }
        wanted.forEach((peer, address) -> {
            if (peer.equals(self)) {
                throw new IllegalArgumentException("peers must not name this node (sid " + self
                        + ")");
            }
            if (address == null || address.isUnresolved() || address.getPort() == 0) {
                throw new IllegalArgumentException("peer " + peer + " needs a resolved address"
                        + " with a fixed port: " + address);
            }
        });
        synchronized (peersLock) {
            if (closed.get()) {
                return;
            }
            Map<PeerId, PeerLink> old = links;
            Map<PeerId, PeerLink> next = new TreeMap<>();
            List<PeerLink> retired = new ArrayList<>();
            List<PeerLink> moved = new ArrayList<>();
            wanted.forEach((peer, address) -> {
                PeerLink link = old.get(peer);
                if (link != null && link.address.equals(address)) {
                    next.put(peer, link);
                    return;
                }
                PeerLink fresh = newLink(peer, address, link == null ? group.next() : link.loop);
                next.put(peer, fresh);
                former.remove(peer);
                if (link != null) {
                    retired.add(link);
                    moved.add(fresh);
                }
            });
            old.forEach((peer, link) -> {
                if (!wanted.containsKey(peer)) {
                    retired.add(link);
                    former.add(peer);
                }
            });
            if (retired.isEmpty() && next.size() == old.size()) {
                return;
            }
            // Retire before publishing: whatever finds a moved peer's new link queues its task
            // on the same loop behind the retirement, so the disconnect is told first.
            for (PeerLink link : retired) {
                if (wanted.containsKey(link.peer)) {
                    link.runOnLoop(link::retire);
                } else {
                    // A member removed: what was queued for it (the COMMIT of its removal)
                    // still goes out, so it learns it was removed.
                    link.runOnLoop(link::retireAfterFlush);
                }
            }
            links = Map.copyOf(next);
            for (PeerLink link : moved) {
                link.runOnLoop(link::connectNow);
            }
            LOG.info("Sid {}: peers now {} (removed or moved: {})", self, describe(next),
                    retired.stream().map(l -> l.peer + " at " + l.address).toList());
        }
    }

    private static String describe(Map<PeerId, PeerLink> links) {
        List<String> out = new ArrayList<>();
        links.forEach((peer, link) -> out.add(peer + "=" + link.address));
        return out.toString();
    }

    private static WriteBufferWaterMark waterMark() {
        return new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024);
    }

    @Override
    public void send(PeerId to, Message message) {
        Objects.requireNonNull(message, "message");
        PeerLink link = links.get(to);
        if (link == null) {
            if (!started.get()) {
                throw new IllegalStateException("transport not started");
            }
            if (to.equals(self)) {
                throw new IllegalArgumentException("a node does not send to itself (sid "
                        + self + ")");
            }
            // A peer removed (its link told the loss already), or one the node's membership
            // names before updatePeers has it: a new member's host name is resolved off the
            // protocol thread, and meanwhile the election writes to it. Not a bug, as over
            // the loopback network; the election sends again.
            LOG.debug("Dropped {} to peer {}: {}", message, to, former.contains(to)
                    ? "no longer a peer" : "not a peer (yet)");
            return;
        }
        if (closed.get()) {
            return;
        }
        link.send(message);
    }

    @Override
    public void disconnect(PeerId peer) {
        PeerLink link = links.get(peer);
        if (link != null && !closed.get()) {
            link.runOnLoop(link::disconnect);
        }
    }

    @Override
    public void resumeReading() {
        if (closed.get()) {
            return;
        }
        for (PeerLink link : links.values()) {
            link.runOnLoop(link::resumeReading);
        }
    }

    @Override
    public int maxMessageBytes() {
        return config.maxFrameBytes();
    }

    @Override
    public void close() {
        if (!started.get() || !closed.compareAndSet(false, true)) {
            return;
        }
        Map<PeerId, PeerLink> last;
        synchronized (peersLock) { // an update that got in first published its links by now
            last = links;
        }
        for (PeerLink link : last.values()) {
            link.runOnLoop(link::close);
        }
        if (server != null) {
            server.close().awaitUninterruptibly(2_000);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
        LOG.info("Sid {} transport closed", self);
    }

    /** Where this node listens; useful when the configured port was chosen by a test. */
    public InetSocketAddress localAddress() {
        return server == null ? null : (InetSocketAddress) server.localAddress();
    }

    /** True when the native epoll transport is in use, false for NIO. */
    public boolean usesEpoll() {
        return epoll;
    }

    PeerId self() {
        return self;
    }

    /** For tests: the established connection to {@code peer} (or null), read on its loop. */
    Channel connectionTo(PeerId peer) throws Exception {
        PeerLink link = links.get(peer);
        return link == null ? null : link.loop.submit(link::connection).get(10, TimeUnit.SECONDS);
    }

    String clusterId() {
        return config.clusterId();
    }

    /** How long the lower sid waits for the higher one to dial back. */
    long dialBackTimeoutMs() {
        return config.connectTimeoutMs() + 2L * config.handshakeTimeoutMs();
    }

    /**
     * Starts a dial for a link, on the link's loop (where the channel is registered). The link
     * attaches its own listeners to the returned future.
     */
    ChannelFuture dial(PeerLink link) {
        Bootstrap b = new Bootstrap().group(link.loop).channel(socketClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMs())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.attr(ConnectionGuard.PEER).set(link.peer);
                        initPipeline(ch, link.peer);
                    }
                });
        // Leave from our own configured address: peers identify a plaintext connection by its
        // source address, and a per-address firewall rule (one 127.0.0.x per node) can then cut
        // one link. A wildcard listener has no such address; the kernel picks the source.
        InetAddress host = ownAddress.getAddress();
        if (host == null || host.isAnyLocalAddress()) {
            return b.connect(link.address);
        }
        return b.connect(link.address, new InetSocketAddress(host, 0));
    }

    private void initPipeline(Channel ch, PeerId expected) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            SslHandler ssl = expected == null ? tls.server.newHandler(ch.alloc())
                    : tls.client.newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(config.handshakeTimeoutMs());
            p.addLast("tls", ssl);
        }
        p.addLast("frames", new FrameDecoder(config.maxFrameBytes()));
        p.addLast("handshake", new HandshakeHandler(wiring, expected,
                config.handshakeTimeoutMs()));
        p.addLast("messages", new MessageDecoder());
        p.addLast("encoder", new MessageEncoder(config.maxFrameBytes()));
        p.addLast("inbound", new InboundHandler(wiring));
        p.addLast("guard", new ConnectionGuard());
    }

    /** On a link's loop. */
    void deliver(PeerId from, Message m) {
        if (closed.get()) {
            return;
        }
        try {
            receiver.onMessage(from, m);
        } catch (RuntimeException e) {
            LOG.error("Receiver failed on a message from peer {}", from, e);
        }
    }

    /** On a link's loop. */
    void disconnected(PeerId peer) {
        if (closed.get()) {
            return;
        }
        try {
            receiver.onDisconnected(peer);
        } catch (RuntimeException e) {
            LOG.error("Receiver failed on the disconnect of peer {}", peer, e);
        }
    }

    private String checkIdentity(Channel ch, int sid) {
        PeerLink link = links.get(new PeerId(sid));
        if (link == null) {
            return "unknown sid " + sid;
        }
        InetSocketAddress configured = link.address; // the current one, after any move
        if (tls != null) {
            return TlsContexts.checkPeer(ch, sid);
        }
        InetAddress from = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        if (!from.equals(configured.getAddress())) {
            return "claims sid " + sid + ", which must connect from "
                    + configured.getAddress().getHostAddress() + ", not "
                    + from.getHostAddress();
        }
        return null;
    }

    /** The transport's side of the handlers' callbacks, kept off its public surface. */
    private final class Wiring implements HandshakeHandler.Directory, InboundHandler.Sink {
        @Override
        public PeerId self() {
            return self;
        }

        @Override
        public String clusterId() {
            return config.clusterId();
        }

        @Override
        public PeerAuth auth() {
            return auth;
        }

        @Override
        public String checkIdentity(Channel ch, int sid) {
            return NettyTransport.this.checkIdentity(ch, sid);
        }

        @Override
        public boolean droppedSinceConnected(PeerId peer) {
            PeerLink link = links.get(peer);
            return link != null && link.droppedSinceConnected();
        }

        @Override
        public void inboundHello(Channel ch, PeerId peer, Handshake hello) {
            PeerLink link = linkOrClose(ch, peer);
            if (link == null) {
                return;
            }
            if (peer.compareTo(self) > 0) {
                link.runOnLoop(() -> link.onInboundHello(ch, hello));
            } else {
                ConnectionGuard.closeAfter(ch, Handshake.reply(config.clusterId(), self.value(),
                        Handshake.Status.DIAL_BACK, false, "").encode(ch.alloc()));
                link.runOnLoop(link::onDialBackRequested);
            }
        }

        @Override
        public void outboundAccepted(Channel ch, PeerId peer, Handshake reply) {
            PeerLink link = linkOrClose(ch, peer);
            if (link != null) {
                link.runOnLoop(() -> link.onOutboundAccepted(ch, reply));
            }
        }

        @Override
        public void outboundDialBack(Channel ch, PeerId peer) {
            PeerLink link = linkOrClose(ch, peer);
            if (link != null) {
                link.runOnLoop(() -> link.onDialBackPromised(ch));
            }
        }

        /**
         * The peer's current link, or null (the channel closed) when it was removed while this
         * handshake ran: the identity check passed just before, so this is no stranger's doing.
         */
        private PeerLink linkOrClose(Channel ch, PeerId peer) {
            PeerLink link = links.get(peer);
            if (link == null) {
                LOG.debug("Peer {}: removed during the handshake of {}; closing it", peer, ch);
                ConnectionGuard.closeQuietly(ch);
            }
            return link;
        }

        @Override
        public void deliver(Channel ch, List<Message> batch) {
            PeerLink link = linkOf(ch);
            if (link != null) {
                link.runOnLoop(() -> link.deliver(ch, batch));
                // Checked and paused here, on the channel's loop, where resumeReading's
                // task also runs: a resume can never overtake the pause it answers.
                if (!closed.get() && !receiver.hasRoom()) {
                    ch.config().setAutoRead(false);
                }
            }
        }

        @Override
        public void closed(Channel ch) {
            PeerLink link = linkOf(ch);
            if (link != null) {
                link.runOnLoop(() -> link.onConnClosed(ch));
            }
        }

        @Override
        public void writable(Channel ch) {
            Outbox ob = ch.attr(OUTBOX).get();
            if (ob != null) {
                ob.onWritable();
            }
        }

        private PeerLink linkOf(Channel ch) {
            PeerId peer = ch.attr(ConnectionGuard.PEER).get();
            return peer == null ? null : links.get(peer);
        }
    }
}
