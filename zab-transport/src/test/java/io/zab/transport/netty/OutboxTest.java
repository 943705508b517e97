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
import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import org.junit.jupiter.api.Test;

/**
 * The per-connection queue on an EmbeddedChannel: coalesced flushes, bounds, kill, back-off,
 * drains in slices, and PING/PINGACK ahead of data.
 */
class OutboxTest {
    /** A data message: ACKs keep their order behind each other and behind nothing else. */
    private static Ack data(int i) {
        return new Ack(new Zxid(1, i));
    }

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
            assertEquals(Outbox.Offer.OK, ob.offer(data(i)));
            ob.requestDrain();
        }
        ch.runPendingTasks();
        assertEquals(before + 1, counter.flushes);
        for (int i = 0; i < 100; i++) {
            assertEquals(data(i), ch.readOutbound());
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
            ob.offer(data(i));
        }
        ob.attach(ch);
        ch.runPendingTasks();
        assertEquals(1, gate.flushes, "one write, one flush, then wait for writability");
        assertTrue(ob.hasMessages());
        assertEquals(Outbox.Offer.OK, ob.offer(data(10)));
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
            assertEquals(data(i), ch.readOutbound());
        }
        assertNull(ch.readOutbound());
    }

    /**
     * A backlog goes out in slices of DRAIN_BATCH, one flush each; between two slices the loop
     * gets a turn (the rest is scheduled for now rather than queued behind other tasks, which
     * an EmbeddedChannel cannot show), so reads are served while a long backlog drains.
     */
    @Test
    void aBacklogDrainsInSlicesOfOneFlushEach() {
        FlushCounter counter = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(counter);
        Outbox ob = new Outbox(100_000, null);
        int n = 3 * Outbox.DRAIN_BATCH + 5;
        for (int i = 0; i < n; i++) {
            ob.offer(data(i));
        }
        int before = counter.flushes;
        ob.attach(ch);
        for (int turns = 0; turns < 10 && ob.hasMessages(); turns++) {
            ch.runPendingTasks();
        }
        assertFalse(ob.hasMessages());
        assertEquals(before + 4, counter.flushes, "four slices, one flush each");
        for (int i = 0; i < n; i++) {
            assertEquals(data(i), ch.readOutbound());
        }
        assertNull(ch.readOutbound());
    }

    /** PING and PINGACK overtake queued data, even past the high-water mark; data keeps order. */
    @Test
    void livenessMessagesOvertakeDataEvenWhenNotWritable() {
        Gate gate = new Gate();
        EmbeddedChannel ch = new EmbeddedChannel(gate);
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(8, 16));
        Outbox ob = new Outbox(1_000, null);
        for (int i = 0; i < 5; i++) {
            ob.offer(data(i));
        }
        ob.attach(ch);
        ch.runPendingTasks();
        assertEquals(1, gate.flushes, "one data write, then not writable");

        ob.offer(new Ping(1, 7));
        ob.requestDrain();
        ob.offer(new PingAck(1, 8));
        ob.requestDrain();
        ch.runPendingTasks();
        assertTrue(gate.flushes > 1, "written and flushed while not writable");

        gate.open = true;
        for (int rounds = 0; rounds < 20 && ob.hasMessages(); rounds++) {
            ch.flush();
            ob.onWritable();
            ch.runPendingTasks();
        }
        ch.flush();
        assertEquals(data(0), ch.readOutbound());
        assertEquals(new Ping(1, 7), ch.readOutbound(), "ahead of data 1..4");
        assertEquals(new PingAck(1, 8), ch.readOutbound());
        for (int i = 1; i < 5; i++) {
            assertEquals(data(i), ch.readOutbound());
        }
        assertNull(ch.readOutbound());
    }
}
