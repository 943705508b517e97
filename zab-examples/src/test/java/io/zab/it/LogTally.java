package io.zab.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Counts what {@code io.zab} logs at WARN and above while open, by logger and kind of message
 * (numbers masked, details in brackets dropped), instead of printing it: a fuzz run makes
 * thousands of "closing the connection" lines by design. Keeps the ERROR lines themselves.
 *
 * <p>Any thread.
 */
final class LogTally extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.zab");
    private final Level levelBefore;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final List<String> errors = new ArrayList<>();

    LogTally() {
        levelBefore = logger.getLevel();
        setContext(logger.getLoggerContext());
        start();
        logger.addAppender(this);
        logger.setLevel(Level.WARN);
        logger.setAdditive(false);
    }

    @Override
    protected void append(ILoggingEvent e) {
        if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
            return;
        }
        String name = e.getLoggerName();
        String key = name.substring(name.lastIndexOf('.') + 1) + ": " + kind(
                e.getFormattedMessage());
        counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        if (e.getLevel().isGreaterOrEqual(Level.ERROR)) {
            errors.add(name + ": " + e.getFormattedMessage());
        }
    }

    /**
     * The kind of a message: the reason alone for a refused connection, numbers masked,
     * quoted text and record contents dropped, the first four words.
     */
    static String kind(String message) {
        String m = message;
        int at = m.indexOf(" at /");
        if (m.startsWith("Peer ") && at > 0) {
            int reason = m.indexOf(": ", at);
            m = reason > 0 ? m.substring(reason + 2) : m;
        }
        m = m.replace("; closing the connection", "").replaceAll("^node \\d+: ", "")
                .replaceAll("^peer \\d+ ignores an election notification from peer \\d+: ",
                        "notification: ")
                .replaceAll("\\[[^\\]]*\\]", "").replaceAll("'[^']*'", "'...'")
                .replaceAll("0x[0-9a-fA-F]+", "#").replaceAll("-?[0-9]+", "#");
        String[] words = m.split(" ");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(4, words.length)));
    }

    /** Counts by logger and kind, sorted by name. */
    Map<String, Long> counts() {
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.get()));
        return sorted;
    }

    long total(String loggerSuffix) {
        return counts.entrySet().stream().filter(e -> e.getKey().startsWith(loggerSuffix))
                .mapToLong(e -> e.getValue().get()).sum();
    }

    synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setAdditive(true);
        logger.setLevel(levelBefore);
        stop();
    }
}
