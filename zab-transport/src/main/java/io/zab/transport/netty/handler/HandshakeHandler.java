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
import io.zab.transport.netty.codec.ProtocolViolation;
import java.util.concurrent.TimeUnit;

/**
 * Runs the handshake of one connection, then removes itself. A dialing side (constructed with
 * the peer it expects) sends HELLO and waits for the answer; an accepting side waits for HELLO,
 * checks protocol version, cluster id, sid and the sid's identity ({@link Directory}), and hands
 * the connection to the directory, which answers ACCEPT or DIAL_BACK. A failed check answers
 * REJECT with the reason (when the peer can read it) and closes with one WARN; so does a peer
 * that has not finished within the timeout (a silent peer must not hold a socket forever).
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

    private final Directory directory;
    private final PeerId expected;
    private final long timeoutMs;
    private ScheduledFuture<?> timeout;
    private boolean done;

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
            ctx.writeAndFlush(Handshake.hello(directory.clusterId(), directory.self().value(),
                    directory.droppedSinceConnected(expected)).encode(ctx.alloc()));
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
            onHello(ctx, hs);
        } else {
            onReply(ctx, hs);
        }
    }

    private void onHello(ChannelHandlerContext ctx, Handshake hello) {
        Channel ch = ctx.channel();
        if (hello.status() != Status.HELLO) {
            throw new ProtocolViolation("expected HELLO, got " + hello.status());
        }
        String problem = checkPeer(ch, hello);
        if (problem != null) {
            finish();
            ConnectionGuard.refuse(ch, problem, Handshake.reply(directory.clusterId(),
                    directory.self().value(), Status.REJECT, false, problem).encode(ctx.alloc()));
            return;
        }
        PeerId peer = new PeerId(hello.sid());
        established(ctx, peer);
        directory.inboundHello(ch, peer, hello);
    }

    private void onReply(ChannelHandlerContext ctx, Handshake reply) {
        Channel ch = ctx.channel();
        if (reply.status() == Status.HELLO) {
            throw new ProtocolViolation("expected an answer to our HELLO, got HELLO");
        }
        if (reply.status() == Status.REJECT) {
            throw new ProtocolViolation("refused by the peer: " + reply.reason());
        }
        String problem = reply.sid() != expected.value()
                ? "answered as sid " + reply.sid() + ", expected " + expected
                : checkPeer(ch, reply);
        if (problem != null) {
            throw new ProtocolViolation(problem);
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

    private String checkPeer(Channel ch, Handshake hs) {
        if (!hs.clusterId().equals(directory.clusterId())) {
            return "cluster id '" + hs.clusterId() + "' does not match ours ('"
                    + directory.clusterId() + "')";
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
