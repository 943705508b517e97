package io.zab.transport.netty.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.zab.PeerId;
import io.zab.transport.netty.codec.ProtocolViolation;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every pipeline: turns whatever went wrong on a connection into exactly one
 * WARN line naming the peer and the reason, then closes that connection (the node keeps serving
 * its other connections). Also the one place that closes connections on purpose
 * ({@link #closeQuietly}), so a close we chose is never reported as the peer's fault.
 *
 * <p>Static helpers may be called from any thread; the handler runs on its channel's loop.
 */
public final class ConnectionGuard extends ChannelInboundHandlerAdapter {
    /** The sid a channel speaks for: set when dialing, or once an inbound handshake passes. */
    public static final AttributeKey<PeerId> PEER = AttributeKey.valueOf("zab.peer");
    private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("zab.closing");
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    /**
     * Logs one WARN ("Peer 2 at /127.0.0.2:4000: reason; closing the connection") unless this
     * connection was already refused or closed on purpose, then closes it, after writing
     * {@code farewell} (a REJECT frame) if given.
     */
    public static void refuse(Channel ch, String reason, ByteBuf farewell) {
        if (ch.attr(CLOSING).setIfAbsent(Boolean.TRUE) == null) {
            Strangers strangers = ch.attr(Strangers.KEY).get();
            if (strangers != null) {
                strangers.refused(ch, reason); // counted; logged once a minute per address
            } else {
                LOG.warn("Peer {} at {}: {}; closing the connection", describePeer(ch),
                        ch.remoteAddress(), reason);
            }
        } else {
            LOG.debug("Peer {} at {}: {} (already closing)", describePeer(ch),
                    ch.remoteAddress(), reason);
        }
        if (farewell != null && ch.isActive()) {
            ch.writeAndFlush(farewell).addListener(ChannelFutureListener.CLOSE);
        } else {
            ReferenceCountUtil.release(farewell);
            ch.close();
        }
    }

    /** Closes a connection we chose to close: later errors on it are not the peer's fault. */
    public static void closeQuietly(Channel ch) {
        if (ch != null) {
            ch.attr(CLOSING).set(Boolean.TRUE);
            ch.close();
        }
    }

    /** Closes after {@code last} is flushed, quietly. */
    public static void closeAfter(Channel ch, Object last) {
        ch.attr(CLOSING).set(Boolean.TRUE);
        ch.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    /** An inbound connection passed its handshake: from now on it is a member's. */
    static void admitted(Channel ch) {
        Strangers strangers = ch.attr(Strangers.KEY).get();
        if (strangers != null) {
            strangers.leave(ch);
        }
    }

    /**
     * A peer's text made safe for a log line: at most 128 characters, each control or
     * non-ASCII character as {@code \\uXXXX} (a stranger cannot forge log lines).
     */
    public static String printable(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), 128) + 8);
        for (int i = 0; i < text.length(); i++) {
            if (b.length() >= 128) {
                return b.append("...").toString();
            }
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    public static String describePeer(Channel ch) {
        PeerId peer = ch.attr(PEER).get();
        return peer == null ? "?" : peer.toString();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Channel ch = ctx.channel();
        Throwable root = cause instanceof DecoderException && cause.getCause() != null
                && !(cause instanceof ProtocolViolation) ? cause.getCause() : cause;
        if (root instanceof ProtocolViolation) {
            refuse(ch, root.getMessage(), null);
        } else if (root instanceof SSLException) {
            refuse(ch, tlsReason("TLS failed: ", root), null);
        } else if (root instanceof ClosedChannelException) {
            LOG.debug("Peer {} at {}: write on a closed connection", describePeer(ch),
                    ch.remoteAddress());
        } else if (root instanceof IOException) {
            if (ch.hasAttr(CLOSING) || ch.attr(Strangers.KEY).get() != null) {
                LOG.debug("Peer {} at {}: {}", describePeer(ch), ch.remoteAddress(), root);
            } else {
                LOG.info("Peer {} at {}: connection lost: {}", describePeer(ch),
                        ch.remoteAddress(), root.getMessage());
            }
            closeQuietly(ch);
        } else {
            LOG.debug("Peer {} at {}: unexpected error", describePeer(ch), ch.remoteAddress(),
                    cause);
            refuse(ch, "unexpected error: " + root, null);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent) {
            SslHandshakeCompletionEvent done = (SslHandshakeCompletionEvent) evt;
            if (!done.isSuccess()) {
                refuse(ctx.channel(), tlsReason("TLS handshake failed: ", done.cause()), null);
            }
        }
        ReferenceCountUtil.release(evt);
    }

    private static String tlsReason(String prefix, Throwable cause) {
        if (cause instanceof NotSslRecordException) {
            // Its message is a hex dump of the bytes; the point is simpler than that.
            return "not a TLS record (plaintext on a TLS connection?)";
        }
        return prefix + cause.getMessage();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Nothing should get this far; drop it without leaking a buffer.
        ReferenceCountUtil.release(msg);
    }
}
