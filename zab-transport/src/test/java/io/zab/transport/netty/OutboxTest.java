package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.zab.protocol.message.Ping;
import org.junit.jupiter.api.Test;

/** The per-connection queue on an EmbeddedChannel: coalesced flushes, bounds, kill, back-off. */
class OutboxTest {
    /** Counts flushes reaching the channel. */
    static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            ctx.flush();
        }
    }

    @Test
    void sendsOfOneTurnShareOneFlushInOrder() {
        FlushCounter counter = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(counter);
        Outbox ob = new Outbox(1_000, null);
        ob.attach(ch);
        ch.runPendingTasks();
        int before = counter.flushes;
        for (int i = 0; i < 100; i++) {
            assertEquals(Outbox.Offer.OK, ob.offer(new Ping(1, i)));
            ob.requestDrain();
        }
        ch.runPendingTasks();
        assertEquals(before + 1, counter.flushes);
        for (int i = 0; i < 100; i++) {
            assertEquals(new Ping(1, i), ch.readOutbound());
        }
        assertNull(ch.readOutbound());
        assertFalse(ob.hasMessages());
    }

    @Test
    void boundedAndKilledForGood() {
        Outbox ob = new Outbox(2, null);
        assertEquals(Outbox.Offer.OK, ob.offer(new Ping(1, 1)));
        assertEquals(Outbox.Offer.OK, ob.offer(new Ping(1, 2)));
        assertEquals(Outbox.Offer.FULL, ob.offer(new Ping(1, 3)));
        assertEquals(2, ob.kill());
        assertEquals(Outbox.Offer.DEAD, ob.offer(new Ping(1, 4)));
        assertEquals(0, ob.kill());
    }

    /** Holds flushes while closed, like a socket whose peer reads slowly. */
    static final class Gate extends ChannelOutboundHandlerAdapter {
        boolean open;
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            if (open) {
                ctx.flush();
            }
        }
    }

    @Test
    void stopsAtTheHighWaterMarkAndResumesWhenWritableAgain() {
        Gate gate = new Gate();
        EmbeddedChannel ch = new EmbeddedChannel(gate);
        // Each pending write counts about 100 bytes: one write makes the channel unwritable.
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(8, 16));
        Outbox ob = new Outbox(1_000, null);
        for (int i = 0; i < 10; i++) {
            ob.offer(new Ping(1, i));
        }
        ob.attach(ch);
        ch.runPendingTasks();
        assertEquals(1, gate.flushes, "one write, one flush, then wait for writability");
        assertTrue(ob.hasMessages());
        assertEquals(Outbox.Offer.OK, ob.offer(new Ping(1, 10)));
        ob.requestDrain(); // still pending: no second drain may start
        ch.runPendingTasks();
        assertEquals(1, gate.flushes);

        gate.open = true;
        for (int rounds = 0; rounds < 20 && ob.hasMessages(); rounds++) {
            ch.flush(); // the socket drains...
            ob.onWritable(); // ...and the InboundHandler reports writability
            ch.runPendingTasks();
        }
        for (int i = 0; i <= 10; i++) {
            assertEquals(new Ping(1, i), ch.readOutbound());
        }
        assertNull(ch.readOutbound());
    }
}
