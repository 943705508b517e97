package io.zab.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.zab.PeerId;
import io.zab.protocol.message.Message;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.handler.ConnectionGuard;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything this node knows about its connection to one peer, as a small state machine:
 * IDLE, CONNECTING (our dial is in progress), AWAIT_DIAL_BACK (we have the lower sid and asked
 * the peer to dial us), CONNECTED, BACKOFF (after a failure) and CLOSED.
 *
 * <p>One connection per pair, chosen by sid as ZooKeeper's QuorumCnxManager does: only the
 * higher sid's dial survives. The lower side's dial is a request ("dial me back") answered by
 * DIAL_BACK, so simultaneous dials from both ends leave exactly one connection and lose nothing.
 * Unlike ZooKeeper, a newcomer replaces a live connection only after passing the identity check
 * (and, with a peer secret, the challenge-response: the link never sees one that failed).
 *
 * <p>Loss is never silent: whenever queued messages are dropped or a connection ends, the
 * receiver hears {@code onDisconnected} on this link's loop, after every message delivered from
 * the old connection and before any from the next. If we dropped messages while no connection
 * existed, the next handshake carries the DROPPED flag so the peer reports a disconnect too.
 *
 * <p>Threading: {@link #send} from any thread; everything else on {@link #loop}, the one event
 * loop this link lives on, which is also where outbound channels are registered and receiver
 * callbacks are made.
 */
final class PeerLink {
    enum State { IDLE, CONNECTING, AWAIT_DIAL_BACK, CONNECTED, BACKOFF, CLOSED }

    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);

    final PeerId peer;
    final InetSocketAddress address;
    final EventLoop loop;
    private final NettyTransport transport;
    private final Backoff backoff;
    private final int queueCapacity;
    private volatile Outbox outbox;

    private State state = State.IDLE;
    private Channel conn;
    private Channel attempt;
    private ScheduledFuture<?> timer;
    private boolean droppedSinceConnected;
    private boolean redialWanted;

    PeerLink(PeerId peer, InetSocketAddress address, EventLoop loop, NettyTransport transport,
            Backoff backoff, int queueCapacity) {
        this.peer = peer;
        this.address = address;
        this.loop = loop;
        this.transport = transport;
        this.backoff = backoff;
        this.queueCapacity = queueCapacity;
        this.outbox = new Outbox(queueCapacity, this);
    }

    /** Any thread; never blocks. */
    void send(Message m) {
        for (int tries = 0; tries < 3; tries++) {
            Outbox ob = outbox;
            switch (ob.offer(m)) {
                case OK:
                    ob.requestDrain();
                    return;
                case FULL:
                    runOnLoop(() -> onOverflow(ob));
                    return;
                default:
                    break; // killed under us: a fresh outbox is already installed
            }
        }
        LOG.debug("Dropped {} to peer {}: the link is closed", m, peer);
    }

    /** Runs {@code task} on this link's loop: inline if already there (keeps ordering). */
    void runOnLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("Link to peer {} is shut down", peer);
        }
    }

    boolean droppedSinceConnected() {
        return droppedSinceConnected;
    }

    /** Messages are queued and no channel is attached: connect unless already on it. */
    void onPending(Outbox ob) {
        if (ob != outbox || state == State.CLOSED) {
            return;
        }
        if (ob.isAttached()) {
            ob.scheduleDrain();
        } else if (state == State.IDLE) {
            startConnect();
        }
    }

    private void startConnect() {
        state = State.CONNECTING;
        ChannelFuture dialing = transport.dial(this);
        Channel ch = dialing.channel();
        attempt = ch;
        // Listeners go on only now that attempt is set: a dial that fails at once (inline, on
        // this loop) must still find itself as the current attempt.
        ch.closeFuture().addListener(x -> runOnLoop(() -> onAttemptClosed(ch)));
        dialing.addListener(done -> {
            if (!done.isSuccess()) {
                ch.attr(NettyTransport.FAILURE).set(String.valueOf(done.cause().getMessage()));
                ConnectionGuard.closeQuietly(ch);
                runOnLoop(() -> onAttemptClosed(ch));
            }
        });
    }

    /** The closeFuture of a dial: if it was still our attempt, the attempt failed. */
    void onAttemptClosed(Channel ch) {
        if (ch != attempt || state != State.CONNECTING) {
            return;
        }
        attempt = null;
        String cause = ch.attr(NettyTransport.FAILURE).get();
        connectFailed("connection attempt to " + address + " failed"
                + (cause == null ? "" : ": " + cause));
    }

    private void connectFailed(String why) {
        // A dial-back someone asked for is not retried forever: the asker dials again itself.
        redialWanted = false;
        int dropped = killOutbox();
        if (dropped > 0) {
            droppedSinceConnected = true;
            notifyDisconnected();
        }
        long delay = backoff.nextDelayMs();
        LOG.info("Peer {}: {}; dropped {} queued messages; next attempt in {} ms", peer, why,
                dropped, delay);
        state = State.BACKOFF;
        timer = loop.schedule(this::backoffOver, delay, TimeUnit.MILLISECONDS);
    }

    private void backoffOver() {
        if (state != State.BACKOFF) {
            return;
        }
        timer = null;
        state = State.IDLE;
        if (outbox.hasMessages() || redialWanted) {
            startConnect();
        }
    }

    /** Our dial was answered DIAL_BACK: the peer (higher sid) will connect to us. */
    void onDialBackPromised(Channel ch) {
        if (ch != attempt || state != State.CONNECTING) {
            return;
        }
        attempt = null;
        state = State.AWAIT_DIAL_BACK;
        long wait = transport.dialBackTimeoutMs();
        timer = loop.schedule(() -> {
            if (state == State.AWAIT_DIAL_BACK) {
                timer = null;
                connectFailed("no dial-back within " + wait + " ms");
            }
        }, wait, TimeUnit.MILLISECONDS);
    }

    /** Our dial was accepted (we have the higher sid). */
    void onOutboundAccepted(Channel ch, Handshake reply) {
        if (ch != attempt || state != State.CONNECTING) {
            ConnectionGuard.closeQuietly(ch);
            return;
        }
        attempt = null;
        establish(ch, reply.dropped(), "outbound");
    }

    /** A verified HELLO from a higher sid: accept it, replacing whatever we had. */
    void onInboundHello(Channel ch, Handshake hello) {
        if (state == State.CLOSED) {
            ConnectionGuard.closeQuietly(ch);
            return;
        }
        if (attempt != null) {
            Channel moot = attempt; // our dial-back request; the peer dialed anyway
            attempt = null;
            ConnectionGuard.closeQuietly(moot);
        }
        ch.writeAndFlush(Handshake.reply(transport.clusterId(), transport.self().value(),
                Handshake.Status.ACCEPT, droppedSinceConnected, "").encode(ch.alloc()));
        establish(ch, hello.dropped(), "inbound");
    }

    /** A verified HELLO from a lower sid, which was told DIAL_BACK: dial it. */
    void onDialBackRequested() {
        switch (state) {
            case IDLE:
                startConnect();
                break;
            case BACKOFF:
                cancelTimer();
                startConnect();
                break;
            case CONNECTED:
                // Either both ends dialed at once (ours is the one that stays) or the peer lost
                // a connection we still think is up, e.g. it restarted. A NOP on ours makes a
                // dead socket fail fast (RST); we redial once it is gone.
                redialWanted = true;
                conn.writeAndFlush(Frames.empty(conn.alloc(), Frames.KIND_NOP));
                break;
            default:
                break; // CONNECTING: our dial is on its way; AWAIT_DIAL_BACK: cannot happen
        }
    }

    private void establish(Channel ch, boolean peerDropped, String direction) {
        if (conn != null) {
            Channel old = conn;
            conn = null;
            ConnectionGuard.closeQuietly(old);
            int dropped = killOutbox();
            LOG.info("Peer {}: new {} connection replaces the old one ({} unsent messages"
                    + " dropped)", peer, direction, dropped);
            notifyDisconnected();
        } else if (peerDropped) {
            notifyDisconnected();
        }
        cancelTimer();
        conn = ch;
        state = State.CONNECTED;
        droppedSinceConnected = false;
        redialWanted = false;
        backoff.reset();
        ch.attr(NettyTransport.OUTBOX).set(outbox);
        outbox.attach(ch);
        LOG.info("Peer {}: connected ({} {} -> {})", peer, direction, ch.localAddress(),
                ch.remoteAddress());
    }

    /** The established connection closed (either side, any reason). */
    void onConnClosed(Channel ch) {
        if (ch != conn) {
            return;
        }
        conn = null;
        int dropped = killOutbox();
        state = State.IDLE;
        LOG.info("Peer {}: connection closed; {} unsent messages dropped", peer, dropped);
        notifyDisconnected();
        if (redialWanted || outbox.hasMessages()) {
            startConnect();
        }
    }

    void deliver(Channel ch, List<Message> batch) {
        if (ch != conn || state == State.CLOSED) {
            return;
        }
        for (Message m : batch) {
            transport.deliver(peer, m);
        }
    }

    /** Link loop: reads again from the connection, on its own loop, if it was paused. */
    void resumeReading() {
        Channel ch = conn;
        if (ch == null) {
            return;
        }
        try {
            ch.eventLoop().execute(() -> ch.config().setAutoRead(true));
        } catch (RejectedExecutionException e) {
            LOG.debug("Link to peer {} is shut down", peer);
        }
    }

    /** The outbox hit its bound: the peer is too slow or unreachable; drop with the link. */
    void onOverflow(Outbox ob) {
        if (ob != outbox || state == State.CLOSED) {
            return;
        }
        LOG.warn("Peer {}: outbound queue full ({} messages); dropping it with the connection",
                peer, queueCapacity);
        if (state == State.CONNECTED) {
            Channel old = conn;
            conn = null;
            ConnectionGuard.closeQuietly(old);
            killOutbox();
            state = State.IDLE;
            notifyDisconnected();
        } else if (state == State.CONNECTING) {
            // Our HELLO may already be out without the DROPPED flag: abandon this dial.
            Channel moot = attempt;
            attempt = null;
            ConnectionGuard.closeQuietly(moot);
            connectFailed("outbound queue overflowed while connecting");
        } else {
            killOutbox();
            droppedSinceConnected = true;
            notifyDisconnected();
        }
    }

    /**
     * Link loop: the node rejected what the peer sent; close the established connection. Its
     * close is reported as any other ({@link #onConnClosed}): the receiver hears of it after
     * every message delivered from it, and the next send dials again.
     */
    void disconnect() {
        if (state == State.CONNECTED && conn != null) {
            LOG.info("Peer {}: closing the connection: the node rejected what it sent", peer);
            ConnectionGuard.closeQuietly(conn);
        }
    }

    /**
     * Link loop: the peer left the membership, or moved to another address (a new link takes
     * over): closes the connection and any dial, drops what is queued (keeping nothing for it),
     * and tells the receiver once. Nothing from this link reaches the receiver afterwards.
     */
    void retire() {
        if (state == State.CLOSED) {
            return;
        }
        boolean connected = conn != null;
        int dropped = outbox.kill();
        close();
        LOG.info("Peer {} at {}: no longer a peer there; {}{} unsent messages dropped", peer,
                address, connected ? "connection closed, " : "", dropped);
        notifyDisconnected();
    }

    /** How long a removed peer's connection stays open for what was queued for it. */
    static final long RETIRE_GRACE_MS = 500;

    /**
     * Link loop: the peer left the membership. Nothing new is queued for it (the transport no
     * longer routes to this link), but what is queued (the COMMIT of its removal) is written
     * first: the connection closes once the queue is empty, or after {@link #RETIRE_GRACE_MS}.
     */
    void retireAfterFlush() {
        if (state != State.CONNECTED || conn == null) {
            retire();
            return;
        }
        long deadline = System.nanoTime() + RETIRE_GRACE_MS * 1_000_000;
        retireWhenFlushed(deadline);
    }

    private void retireWhenFlushed(long deadline) {
        if (state == State.CLOSED) {
            return;
        }
        Channel ch = conn;
        if (ch == null || !outbox.hasMessages() || System.nanoTime() >= deadline) {
            if (ch != null && !outbox.hasMessages()) {
                // Written to the channel: close after its last flush reaches the socket.
                ch.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                        .addListener(f -> runOnLoop(this::retire));
                return;
            }
            retire();
            return;
        }
        loop.schedule(() -> retireWhenFlushed(deadline), 10,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Link loop: dials now, without waiting for a send (a peer that moved). */
    void connectNow() {
        if (state == State.IDLE) {
            startConnect(); // if it fails, the next send dials again, as for any link
        }
    }

    void close() {
        state = State.CLOSED;
        cancelTimer();
        ConnectionGuard.closeQuietly(conn);
        ConnectionGuard.closeQuietly(attempt);
        conn = null;
        attempt = null;
        outbox.kill();
    }

    /** For tests: the current state. Link loop only. */
    State state() {
        return state;
    }

    /** For tests: the established connection, or null. Link loop only. */
    Channel connection() {
        return conn;
    }

    private int killOutbox() {
        Outbox old = outbox;
        outbox = new Outbox(queueCapacity, this); // install first: a refused offer retries here
        return old.kill();
    }

    private void notifyDisconnected() {
        transport.disconnected(peer);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
