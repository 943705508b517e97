package io.zab.transport.netty.handler;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.zab.protocol.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the messages decoded in one read and hands them to the transport in batches of at
 * most {@link #MAX_BATCH}, and reports when the connection closes or becomes writable again.
 * Nothing more: no protocol work runs on an event loop.
 *
 * <p>One instance per channel, on its event loop; the {@link Sink} is called there too.
 */
public final class InboundHandler extends ChannelInboundHandlerAdapter {
    /** Where a connection's events go. Called on the channel's event loop. */
    public interface Sink {
        /** Messages in arrival order; the list is the callee's to keep. */
        void deliver(Channel ch, List<Message> batch);

        /** The connection is closed; every message it carried was delivered before. */
        void closed(Channel ch);

        /** The outbound buffer drained below its low-water mark. */
        void writable(Channel ch);
    }

    /**
     * One read can hold a megabyte of small frames (tens of thousands of messages) and takes
     * long to decode on a cold or busy JVM; handing them over in slices lets the protocol
     * thread start on the first ones (a leader's PING among them) while the rest decode.
     */
    static final int MAX_BATCH = 256;

    private final Sink sink;
    private List<Message> batch = new ArrayList<>();

    public InboundHandler(Sink sink) {
        this.sink = sink;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Message) {
            batch.add((Message) msg);
            if (batch.size() >= MAX_BATCH) {
                flush(ctx.channel());
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush(ctx.channel());
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        flush(ctx.channel());
        sink.closed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            sink.writable(ctx.channel());
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void flush(Channel ch) {
        if (!batch.isEmpty()) {
            List<Message> out = batch;
            batch = new ArrayList<>();
            sink.deliver(ch, out);
        }
    }
}
