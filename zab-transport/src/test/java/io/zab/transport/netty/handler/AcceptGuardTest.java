package io.zab.transport.netty.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.embedded.EmbeddedChannel;
import io.zab.PeerId;
import java.io.IOException;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A failed accept is named (EMFILE as such), logged once a minute, and closes nothing. */
class AcceptGuardTest {
    @Test
    void descriptorExhaustionIsNamedThrottledAndNotFatal() {
        AtomicLong clock = new AtomicLong();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger logger = (Logger) LoggerFactory.getLogger(AcceptGuard.class);
        logger.addAppender(logs);
        try {
            EmbeddedChannel server = new EmbeddedChannel(new AcceptGuard(PeerId.of(1),
                    clock::get));
            for (int i = 0; i < 5; i++) {
                server.pipeline().fireExceptionCaught(new IOException("Too many open files"));
            }
            clock.addAndGet(TimeUnit.SECONDS.toNanos(61));
            server.pipeline().fireExceptionCaught(new SocketException("Too many open files"));
            server.checkException(); // swallowed: nothing reaches the pipeline's tail
            assertTrue(server.isOpen(), "the listening channel stays open");
            List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .collect(Collectors.toList());
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("Sid 1: cannot accept a connection: the process"
                    + " is out of file descriptors (Too many open files). This is not a disk"),
                    lines.get(0));
            assertTrue(lines.get(1).contains("(4 more in the last minute)"), lines.get(1));
        } finally {
            logger.detachAppender(logs);
        }
    }
}
