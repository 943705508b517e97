package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Message;
import java.nio.ByteBuffer;

/**
 * Frames an outgoing {@link Message}: one pooled buffer sized exactly, the codec writing straight
 * into it, then length and CRC32C. Other objects (handshake frames already built) pass through.
 * A message above the frame limit the peer enforces is never sent: the connection is failed
 * instead, so the loss is reported through the transport's disconnect path, not hidden.
 *
 * <p>One instance per channel, on its event loop.
 */
public final class MessageEncoder extends ChannelOutboundHandlerAdapter {
    private final int maxMessageBytes;

    public MessageEncoder(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Message)) {
            ctx.write(msg, promise);
            return;
        }
        Message m = (Message) msg;
        ByteBuf frame = null;
        try {
            int size = MessageCodec.encodedSize(m);
            if (size > maxMessageBytes) {
                throw new IllegalArgumentException(size + " bytes exceed the frame limit of "
                        + maxMessageBytes);
            }
            frame = Frames.start(ctx.alloc(), Frames.KIND_MESSAGE, size);
            int at = frame.writerIndex();
            ByteBuffer target = frame.nioBuffer(at, size);
            MessageCodec.encode(m, target);
            frame.writerIndex(at + size);
            Frames.finish(frame);
        } catch (RuntimeException e) {
            if (frame != null) {
                frame.release();
            }
            ProtocolViolation failure = new ProtocolViolation("cannot send "
                    + m.getClass().getSimpleName() + ": " + e.getMessage());
            if (!promise.isVoid()) {
                promise.tryFailure(failure);
            }
            ctx.fireExceptionCaught(failure);
            return;
        }
        ctx.write(frame, promise);
    }
}
