package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.zab.codec.CodecException;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a checked frame body (after the handshake) into {@link Message}s with
 * {@link MessageCodec}: one from a message frame, each entry of a batch frame in order; swallows
 * NOP frames. A body that does not decode, a batch entry whose length does not fit, an empty
 * batch, an unknown frame kind, or a second handshake is a {@link ProtocolViolation}. The whole
 * frame is decoded before anything is passed on, so a bad or partial frame has no side effects
 * (ZOOKEEPER-2355).
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
        Message single = null;
        List<Message> batch = null;
        try {
            byte kind = body.readByte();
            if (kind == Frames.KIND_NOP) {
                return;
            }
            if (kind == Frames.KIND_MESSAGE) {
                single = MessageCodec.decode(body.nioBuffer());
            } else if (kind == Frames.KIND_BATCH) {
                batch = decodeBatch(body.nioBuffer());
            } else {
                throw new ProtocolViolation(kind == Frames.KIND_HANDSHAKE
                        ? "handshake frame after the handshake"
                        : "unknown frame kind 0x" + Integer.toHexString(kind & 0xFF));
            }
        } catch (CodecException e) {
            throw new ProtocolViolation("bad message: " + e.getMessage());
        } finally {
            body.release();
        }
        if (single != null) {
            ctx.fireChannelRead(single);
        } else {
            for (Message m : batch) {
                ctx.fireChannelRead(m);
            }
        }
    }

    private static List<Message> decodeBatch(ByteBuffer in) throws CodecException {
        int frameBytes = in.remaining();
        if (frameBytes == 0) {
            throw new ProtocolViolation("empty batch frame");
        }
        List<Message> out = new ArrayList<>();
        while (in.hasRemaining()) {
            int at = frameBytes - in.remaining();
            if (in.remaining() < Frames.BATCH_ENTRY_BYTES) {
                throw new ProtocolViolation("batch entry " + out.size() + " at offset " + at
                        + ": " + in.remaining() + " bytes left, too few for its length");
            }
            int length = in.getInt();
            if (length <= 0 || length > in.remaining()) {
                throw new ProtocolViolation("batch entry " + out.size() + " at offset " + at
                        + ": length " + Integer.toUnsignedString(length) + " but "
                        + in.remaining() + " bytes left in the frame");
            }
            int end = in.position() + length;
            ByteBuffer entry = in.duplicate().limit(end);
            try {
                out.add(MessageCodec.decode(entry));
            } catch (CodecException e) {
                throw new CodecException("batch entry " + out.size() + " at offset " + at + ": "
                        + e.getMessage());
            }
            in.position(end);
        }
        return out;
    }
}
