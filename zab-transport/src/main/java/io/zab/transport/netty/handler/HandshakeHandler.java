package io.zab.transport.netty.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.zab.PeerId;
import io.zab.transport.netty.codec.FrameDecoder;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.Handshake.Status;
import io.zab.transport.netty.codec.PeerAuth;
import io.zab.transport.netty.codec.ProtocolViolation;
import java.util.concurrent.TimeUnit;

/**
 * Runs the handshake of one connection, then removes itself. A dialing side (constructed with
 * the peer it expects) sends HELLO and waits for the answer; an accepting side waits for HELLO,
 * checks protocol version, cluster id, sid and the sid's identity ({@link Directory}), and hands
 * the connection to the directory, which answers ACCEPT or DIAL_BACK. With a peer secret
 * ({@link Directory#auth()}) both sides first prove they hold it (see {@link Handshake} and
 * {@link PeerAuth}): the directory hears of an inbound connection only once it authenticated,
 * so an unauthenticated connection can never replace a live one. A failed check answers
 * REJECT with the reason (when the peer can read it) and closes; so does a peer that has not
 * finished within the timeout (a silent peer must not hold a socket forever).
 *
 * <p>One instance per channel, on its event loop.
 */
public final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    /**
     * What the handshake needs from the transport. Called on the channel's event loop.
     */
    public interface Directory {
        PeerId self();

        String clusterId();

        /** The challenge-response, or null when no peer secret is configured. */
        PeerAuth auth();

        /** Null if {@code ch} may speak for {@code sid}, otherwise the reason it may not. */
        String checkIdentity(Channel ch, int sid);

        /** Whether to tell {@code peer} we dropped messages for it (the DROPPED flag). */
        boolean droppedSinceConnected(PeerId peer);

        /** Accepting side: a verified HELLO; the directory answers it and owns the channel. */
        void inboundHello(Channel ch, PeerId peer, Handshake hello);

        /** Dialing side: the peer accepted this connection. */
        void outboundAccepted(Channel ch, PeerId peer, Handshake reply);

        /** Dialing side: the peer will dial us instead; this channel is being closed. */
        void outboundDialBack(Channel ch, PeerId peer);
    }

    /** What was refused to a peer that failed authentication (the log says more). */
    static final String AUTH_FAILED = "authentication failed";

    private final Directory directory;
    private final PeerId expected;
    private final long timeoutMs;
    private ScheduledFuture<?> timeout;
    private boolean done;
    /** Dialer: our nonce (empty without a secret). */
    private byte[] ownNonce;
    /** Acceptor: the authenticating peer's HELLO and our nonce, while we wait for its PROOF. */
    private Handshake pendingHello;
    /** Dialer: the peer's CHALLENGE checked and our PROOF sent; its answer is next. */
    private boolean proven;

    /**
     * @param expected the peer a dialing side connects to; null on the accepting side
     */
    public HandshakeHandler(Directory directory, PeerId expected, long timeoutMs) {
        this.directory = directory;
        this.expected = expected;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin(ctx);
        ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
        if (timeout != null || done) {
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            if (!done) {
                done = true;
                ctx.fireExceptionCaught(new ProtocolViolation("no handshake within "
                        + timeoutMs + " ms"));
            }
        }, timeoutMs, TimeUnit.MILLISECONDS);
        if (expected != null) {
            PeerAuth auth = directory.auth();
            boolean dropped = directory.droppedSinceConnected(expected);
            Handshake hello;
            if (auth == null) {
                hello = Handshake.hello(directory.clusterId(), directory.self().value(), dropped);
            } else {
                ownNonce = auth.nonce();
                hello = Handshake.hello(directory.clusterId(), directory.self().value(), dropped,
                        ownNonce);
            }
            ctx.writeAndFlush(hello.encode(ctx.alloc()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf body = (ByteBuf) msg;
        Handshake hs;
        try {
            if (!body.isReadable()) {
                throw new ProtocolViolation("empty frame");
            }
            byte kind = body.readByte();
            if (kind != Frames.KIND_HANDSHAKE) {
                throw new ProtocolViolation("expected a handshake, got frame kind 0x"
                        + Integer.toHexString(kind & 0xFF));
            }
            hs = Handshake.decode(body);
        } finally {
            body.release();
        }
        if (expected == null) {
            if (pendingHello == null) {
                onHello(ctx, hs);
            } else {
                onProof(ctx, hs);
            }
        } else {
            onReply(ctx, hs);
        }
    }

    private void onHello(ChannelHandlerContext ctx, Handshake hello) {
        Channel ch = ctx.channel();
        if (hello.status() != Status.HELLO) {
            throw new ProtocolViolation("expected HELLO, got " + hello.status());
        }
        PeerAuth auth = directory.auth();
        String problem = checkPeer(ch, hello);
        if (problem == null && auth != null && !hello.hasNonce()) {
            problem = "sent no authentication, and this node requires the peer secret";
        } else if (problem == null && auth == null && hello.hasNonce()) {
            problem = "asks for authentication, and this node has no peer secret";
        }
        if (problem != null) {
            reject(ctx, problem, problem);
            return;
        }
        PeerId peer = new PeerId(hello.sid());
        if (auth != null) {
            byte[] nonce = auth.nonce();
            ownNonce = nonce;
            pendingHello = hello;
            byte[] mac = auth.mac(PeerAuth.Side.ACCEPTOR, directory.clusterId(), hello.sid(),
                    directory.self().value(), hello.nonce(), nonce);
            ctx.writeAndFlush(Handshake.challenge(directory.clusterId(),
                    directory.self().value(), nonce, mac).encode(ctx.alloc()));
            return;
        }
        established(ctx, peer);
        directory.inboundHello(ch, peer, hello);
    }

    /** Acceptor, with a secret: the dialer's PROOF answers our CHALLENGE. */
    private void onProof(ChannelHandlerContext ctx, Handshake proof) {
        Handshake hello = pendingHello;
        if (proof.status() != Status.PROOF) {
            throw new ProtocolViolation("expected PROOF, got " + proof.status());
        }
        byte[] want = directory.auth().mac(PeerAuth.Side.DIALER, directory.clusterId(),
                hello.sid(), directory.self().value(), hello.nonce(), ownNonce);
        if (!PeerAuth.matches(want, proof.mac())) {
            reject(ctx, "claims sid " + hello.sid() + " and failed authentication (no or another"
                    + " peer secret, or a replayed handshake)", AUTH_FAILED);
            return;
        }
        PeerId peer = new PeerId(hello.sid());
        established(ctx, peer);
        directory.inboundHello(ctx.channel(), peer, hello);
    }

    private void reject(ChannelHandlerContext ctx, String logged, String told) {
        finish();
        ConnectionGuard.refuse(ctx.channel(), logged, Handshake.reply(directory.clusterId(),
                directory.self().value(), Status.REJECT, false, told).encode(ctx.alloc()));
    }

    private void onReply(ChannelHandlerContext ctx, Handshake reply) {
        Channel ch = ctx.channel();
        if (reply.status() == Status.REJECT) {
            throw new ProtocolViolation("refused by the peer: "
                    + ConnectionGuard.printable(reply.reason()));
        }
        if (reply.status() == Status.HELLO || reply.status() == Status.PROOF) {
            throw new ProtocolViolation("expected an answer to our HELLO, got "
                    + reply.status());
        }
        String problem = reply.sid() != expected.value()
                ? "answered as sid " + reply.sid() + ", expected " + expected
                : checkPeer(ch, reply);
        if (problem != null) {
            throw new ProtocolViolation(problem);
        }
        PeerAuth auth = directory.auth();
        if (auth != null && !proven) {
            onChallenge(ctx, auth, reply);
            return;
        }
        if (reply.status() == Status.CHALLENGE) {
            throw new ProtocolViolation(auth == null ? "the peer requires authentication, and"
                    + " this node has no peer secret" : "a second CHALLENGE");
        }
        if (reply.status() == Status.DIAL_BACK) {
            finish();
            directory.outboundDialBack(ch, expected);
            ConnectionGuard.closeQuietly(ch);
            return;
        }
        established(ctx, expected);
        directory.outboundAccepted(ch, expected, reply);
    }

    /** Dialer, with a secret: check the acceptor's MAC, then prove ourselves. */
    private void onChallenge(ChannelHandlerContext ctx, PeerAuth auth, Handshake challenge) {
        if (challenge.status() != Status.CHALLENGE || !challenge.hasNonce()) {
            throw new ProtocolViolation("the peer answered " + challenge.status()
                    + " without authenticating (has it no peer secret?)");
        }
        int self = directory.self().value();
        byte[] want = auth.mac(PeerAuth.Side.ACCEPTOR, directory.clusterId(), self,
                expected.value(), ownNonce, challenge.nonce());
        if (!PeerAuth.matches(want, challenge.mac())) {
            throw new ProtocolViolation("the peer failed authentication (another peer secret?)");
        }
        proven = true;
        byte[] mac = auth.mac(PeerAuth.Side.DIALER, directory.clusterId(), self,
                expected.value(), ownNonce, challenge.nonce());
        ctx.writeAndFlush(Handshake.proof(directory.clusterId(), self, mac).encode(ctx.alloc()));
    }

    private String checkPeer(Channel ch, Handshake hs) {
        if (!hs.clusterId().equals(directory.clusterId())) {
            return "cluster id '" + ConnectionGuard.printable(hs.clusterId())
                    + "' does not match ours ('" + directory.clusterId() + "')";
        }
        if (hs.sid() <= 0) {
            return "invalid sid " + hs.sid();
        }
        if (hs.sid() == directory.self().value()) {
            return "claims our own sid " + hs.sid();
        }
        return directory.checkIdentity(ch, hs.sid());
    }

    /** Lifts the frame limits and gets out of the way of the message handlers. */
    private void established(ChannelHandlerContext ctx, PeerId peer) {
        finish();
        ctx.channel().attr(ConnectionGuard.PEER).set(peer);
        ConnectionGuard.admitted(ctx.channel());
        FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
        if (frames != null) {
            frames.openLimits();
        }
        ctx.pipeline().remove(this);
    }

    private void finish() {
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
