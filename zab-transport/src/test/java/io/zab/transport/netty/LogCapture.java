package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Captures WARN and ERROR lines logged under {@code io.zab} while a test runs. */
final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.zab");

    LogCapture() {
        appender.start();
        logger.addAppender(appender);
    }

    /** Formatted WARN+ messages so far. */
    List<String> warnings() {
        synchronized (appender) { // AppenderBase appends under this lock
            return appender.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage)
                    .collect(Collectors.toList());
        }
    }

    void clear() {
        synchronized (appender) {
            appender.list.clear();
        }
    }

    /** Waits until at least {@code n} warnings were logged; fails at the deadline. */
    List<String> awaitWarnings(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            List<String> w = warnings();
            if (w.size() >= n) {
                return w;
            }
            Thread.sleep(5); // polling a condition with a deadline, not a timed assertion
        }
        fail("expected " + n + " warnings within " + timeout + ", got " + warnings());
        return List.of();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
