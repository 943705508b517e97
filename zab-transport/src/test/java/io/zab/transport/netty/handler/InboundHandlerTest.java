package io.zab.transport.netty.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundHandlerTest {
    @Test
    void deliversOneBatchPerReadAndReportsCloseAfterTheLastBatch() {
        List<String> calls = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new InboundHandler(recorder(calls)));
        ch.writeInbound(new Ping(1, 1), new Ping(1, 2), new Ping(1, 3));
        ch.pipeline().fireChannelRead(new Ping(1, 4));
        ch.close();
        assertEquals(List.of("deliver 3", "deliver 1", "closed"), calls);
    }

    /** A read of many small frames is handed over in slices, not only when the read ends. */
    @Test
    void aLongReadIsHandedOverInSlices() {
        List<String> calls = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new InboundHandler(recorder(calls)));
        Object[] read = new Object[2 * InboundHandler.MAX_BATCH + 3];
        for (int i = 0; i < read.length; i++) {
            read[i] = new Ping(1, i);
        }
        ch.writeInbound(read);
        int slice = InboundHandler.MAX_BATCH;
        assertEquals(List.of("deliver " + slice, "deliver " + slice, "deliver 3"), calls);
    }

    private static InboundHandler.Sink recorder(List<String> calls) {
        return new InboundHandler.Sink() {
            @Override
            public void deliver(Channel ch, List<Message> batch) {
                calls.add("deliver " + batch.size());
            }

            @Override
            public void closed(Channel ch) {
                calls.add("closed");
            }

            @Override
            public void writable(Channel ch) {
                calls.add("writable");
            }
        };
    }
}
