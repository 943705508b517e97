package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.zab.codec.CodecException;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Message;

/**
 * Turns a checked frame body (after the handshake) into a {@link Message} with
 * {@link MessageCodec}; swallows NOP frames. A body that does not decode, an unknown frame kind,
 * or a second handshake is a {@link ProtocolViolation}. The whole frame is decoded before
 * anything is passed on, so a bad or partial frame has no side effects (ZOOKEEPER-2355).
 *
 * <p>One instance per channel, on its event loop.
 */
public final class MessageDecoder extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf body = (ByteBuf) msg;
        Message message;
        try {
            byte kind = body.readByte();
            if (kind == Frames.KIND_NOP) {
                return;
            }
            if (kind != Frames.KIND_MESSAGE) {
                throw new ProtocolViolation(kind == Frames.KIND_HANDSHAKE
                        ? "handshake frame after the handshake"
                        : "unknown frame kind 0x" + Integer.toHexString(kind & 0xFF));
            }
            message = MessageCodec.decode(body.nioBuffer());
        } catch (CodecException e) {
            throw new ProtocolViolation("bad message: " + e.getMessage());
        } finally {
            body.release();
        }
        ctx.fireChannelRead(message);
    }
}
