package io.zab.examples.kv;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.zab.ZabNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of one KV replica (the API is {@link KvApi}'s), on Netty's HTTP/1.1 codec with
 * keep-alive and TCP_NODELAY. A few event loops serve every connection and never wait: a write
 * or a linearizable read is answered when the node's future completes, on the connection's own
 * loop. Requests pipelined on one connection are served one after another (see
 * {@link HttpConnection}); the limits are {@link HttpLimits}.
 */
public final class KvServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);
    /** Bounds for the lifecycle steps that need an event loop (bind, unbind, shutdown). */
    private static final long LIFECYCLE_WAIT_MS = 10_000;
    /** Numbers the servers of a JVM, so each one's threads have names of their own. */
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final HttpLimits limits;
    private final long timeoutMs;
    private final InFlightBudget budget;
    private final KvApi api;
    private final EventLoopGroup group;
    private final Channel listener;
    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final String threadPrefix;
    /** Set while connections are being turned away, so that only the first is logged. */
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Read by every connection and by accept(), on the event loops. */
    private volatile boolean closing;

    /** A server with the default limits and bodies up to {@code maxValueBytes}. */
    public KvServer(ZabNode node, KvStateMachine kv, InetSocketAddress address,
            int maxValueBytes, long timeoutMs) throws IOException {
        this(node, kv, address, HttpLimits.defaults(maxValueBytes), timeoutMs);
    }

    /**
     * Binds {@code address} now (so a taken port fails here) and accepts from {@link #start}.
     *
     * @param timeoutMs how long a write or a linearizable read may take before a 504
     */
    public KvServer(ZabNode node, KvStateMachine kv, InetSocketAddress address,
            HttpLimits limits, long timeoutMs) throws IOException {
        this(node, kv, address, limits, timeoutMs, null);
    }

    /**
     * As the constructor above, serving {@code GET /metrics} from {@code metrics} (the recorder
     * the node was built with), or answering it 404 when null.
     */
    public KvServer(ZabNode node, KvStateMachine kv, InetSocketAddress address,
            HttpLimits limits, long timeoutMs, io.zab.MetricsRecorder metrics) throws IOException {
        this.limits = limits;
        this.timeoutMs = timeoutMs;
        this.budget = new InFlightBudget(limits.maxInFlightBytes());
        String name = "kv-http-" + address.getPort() + "." + SERVERS.incrementAndGet();
        this.threadPrefix = name + "-";
        this.api = new KvApi(node, kv, timeoutMs, budget, name + "-status", metrics);
        DefaultThreadFactory threads = new DefaultThreadFactory(name, true);
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        boolean epoll = Epoll.isAvailable();
        this.group = epoll ? new EpollEventLoopGroup(loops, threads)
                : new NioEventLoopGroup(loops, threads);
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap().group(group).channel(channel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Nothing is accepted before start(), as with the JDK server this replaced.
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        ChannelFuture bound = b.bind(address);
        if (!bound.awaitUninterruptibly(LIFECYCLE_WAIT_MS) || !bound.isSuccess()) {
            shutDownLoops();
            api.close();
            throw new IOException("cannot listen on " + address, bound.cause());
        }
        this.listener = bound.channel();
    }

    public KvServer start() {
        if (started.compareAndSet(false, true)) {
            exposure(address()).ifPresent(LOG::warn);
            listener.config().setAutoRead(true);
        }
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The warning for a listener that others than this machine's own programs can reach. */
    static Optional<String> exposure(InetSocketAddress address) {
        InetAddress a = address.getAddress();
        if (a != null && a.isLoopbackAddress()) {
            return Optional.empty();
        }
        return Optional.of("the KV HTTP API listens on " + address + ", which is not a loopback"
                + " address, and it has no authentication: anyone who reaches it can read and"
                + " change every key");
    }

    /** Runs on the new channel's event loop, before it reads anything. */
    private void accept(Channel ch) {
        int now = open.incrementAndGet();
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        if (closing || now > limits.maxConnections()) {
            if (!closing && refusing.compareAndSet(false, true)) {
                LOG.warn("{} connections open, the limit: closing new ones until some close",
                        limits.maxConnections());
            }
            ch.close();
            return;
        }
        refusing.set(false);
        HttpConnection c = new HttpConnection(api, budget, limits, timeoutMs, () -> closing);
        // The decoder caps the request line and the header block at the same size.
        HttpDecoderConfig decoding = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxHeaderBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(64 << 10);
        ch.pipeline().addLast(
                new IdleStateHandler(0, 0, limits.idleTimeoutMs(), TimeUnit.MILLISECONDS),
                new HttpServerCodec(decoding), c);
        // Only now, with its handler in place, may close() reach it.
        connections.add(c);
        ch.closeFuture().addListener(f -> connections.remove(c));
    }

    /** Writes and linearizable reads handed to the node and not yet completed (for tests). */
    long inFlightRequests() {
        return budget.calls();
    }

    /** Request bytes held: bodies read and writes in flight (for tests). */
    long heldBytes() {
        return budget.usedBytes();
    }

    /** Open connections, those being refused included until they are closed (for tests). */
    int openConnections() {
        return open.get();
    }

    /** What the names of this server's threads start with (for tests). */
    String threadPrefix() {
        return threadPrefix;
    }

    /**
     * Stops accepting, answers every request still waiting on the node with a 504 (outcome
     * unknown), closes the connections and ends the event loops. Waits, within bounds, for the
     * loops to finish, so that no reply leaves after this returns and the port is free.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing = true;
        listener.close().awaitUninterruptibly(LIFECYCLE_WAIT_MS);
        for (HttpConnection c : connections) {
            c.serverClosing();
        }
        shutDownLoops();
        api.close();
    }

    /** Tasks already queued (the 504s above) run before a loop ends. */
    private void shutDownLoops() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(LIFECYCLE_WAIT_MS);
    }
}
