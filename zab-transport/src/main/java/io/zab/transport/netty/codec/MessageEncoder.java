package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Message;

/**
 * Frames outgoing {@link Message}s. Messages written with the channel's void promise (the
 * outbox's writes) are packed into one batch frame ({@link Frames#KIND_BATCH}) until the next
 * flush or until the frame holds {@link Frames#BATCH_TARGET_BYTES}; a message written with a
 * promise of its own, or too big to share, gets a frame of its own. Either way the codec writes
 * straight into a pooled buffer and the frame gets its length and CRC32C once. Other objects
 * (handshake frames already built) pass through, after the open batch. A message above the
 * frame limit the peer enforces is never sent: the connection is failed instead, so the loss
 * is reported through the transport's disconnect path, not hidden.
 *
 * <p>One instance per channel, on its event loop.
 */
public final class MessageEncoder extends ChannelOutboundHandlerAdapter {
    private final int maxMessageBytes;
    /** Payload bytes (entries with their lengths) a batch frame may hold. */
    private final int batchBytes;
    /** The batch frame being filled, or null. */
    private ByteBuf batch;

    public MessageEncoder(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
        this.batchBytes = Math.min(Frames.BATCH_TARGET_BYTES, maxMessageBytes);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Message)) {
            closeBatch(ctx);
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
            int entry = Frames.BATCH_ENTRY_BYTES + size;
            if (!promise.isVoid() || entry > batchBytes) {
                closeBatch(ctx);
                frame = Frames.start(ctx.alloc(), Frames.KIND_MESSAGE, size);
                encodeAt(m, frame, size);
                ctx.write(Frames.finish(frame), promise);
                return;
            }
            if (batch != null && batchPayload() + entry > batchBytes) {
                closeBatch(ctx);
            }
            if (batch == null) {
                batch = startBatch(ctx, entry);
            }
            batch.ensureWritable(entry); // grows up to the frame's cap, which the check above kept
            int at = batch.writerIndex();
            batch.writeInt(size);
            try {
                encodeAt(m, batch, size);
            } catch (RuntimeException e) {
                batch.writerIndex(at); // the batch keeps only whole entries
                throw e;
            }
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
        }
    }

    /**
     * A batch frame sized for what it starts with (at least {@link #BATCH_START_BYTES}), able to
     * grow to the cap: Netty counts a queued buffer's bytes, not its capacity, so a frame that
     * always reserved the cap would let a backed-up connection hold many times its high-water
     * mark of mostly empty buffers, and buffers above Netty's thread cache cost the arena's lock.
     */
    private ByteBuf startBatch(ChannelHandlerContext ctx, int firstEntry) {
        int head = Frames.HEADER_BYTES + Frames.KIND_BYTES;
        ByteBuf b = ctx.alloc().ioBuffer(head + Math.min(batchBytes,
                Math.max(firstEntry, BATCH_START_BYTES)), head + batchBytes);
        b.writeInt(0).writeInt(0).writeByte(Frames.KIND_BATCH);
        return b;
    }

    /** What a batch frame starts with; most flushes carry a few small messages. */
    static final int BATCH_START_BYTES = 1024;

    private int batchPayload() {
        return batch.writerIndex() - batch.readerIndex() - Frames.HEADER_BYTES
                - Frames.KIND_BYTES;
    }

    private static void encodeAt(Message m, ByteBuf frame, int size) {
        int at = frame.writerIndex();
        MessageCodec.encode(m, frame.nioBuffer(at, size));
        frame.writerIndex(at + size);
    }

    /** Writes the open batch frame, if it holds anything, ahead of what follows. */
    private void closeBatch(ChannelHandlerContext ctx) {
        ByteBuf b = batch;
        if (b == null) {
            return;
        }
        batch = null;
        if (b.writerIndex() - b.readerIndex() == Frames.HEADER_BYTES + Frames.KIND_BYTES) {
            b.release();
            return;
        }
        ctx.write(Frames.finish(b), ctx.voidPromise());
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        closeBatch(ctx);
        ctx.flush();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }
}
