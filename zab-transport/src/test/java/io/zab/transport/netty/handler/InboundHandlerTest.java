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
        InboundHandler.Sink sink = new InboundHandler.Sink() {
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
        EmbeddedChannel ch = new EmbeddedChannel(new InboundHandler(sink));
        ch.writeInbound(new Ping(1, 1), new Ping(1, 2), new Ping(1, 3));
        ch.pipeline().fireChannelRead(new Ping(1, 4));
        ch.close();
        assertEquals(List.of("deliver 3", "deliver 1", "closed"), calls);
    }
}
