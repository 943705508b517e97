package io.zab.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * What the leaders of a cluster decided when they synchronized a learner. The protocol core
 * states its choice at INFO in {@code io.zab.protocol.LeaderRole} ("node 2: DIFF for learner 1
 * (its last ..., our history ...)"); the state machine cannot tell DIFF from TRUNC, so this log
 * line is the observable. Captured here, and kept off the console, while open.
 *
 * <p>Any thread; logback appends under the appender's lock.
 */
final class SyncLog implements AutoCloseable {
    /** The decision line only: "SNAP for learner 3 failed (...)" is a warning, not a choice. */
    private static final Pattern SYNC = Pattern.compile(
            "node (\\d+): (DIFF|TRUNC|SNAP) for learner (\\d+) \\(its last .*");

    /** One decision: the leader, the mode and the learner. */
    record Decision(int leader, String mode, int learner, String line) {
    }

    private final Logger logger = (Logger) LoggerFactory.getLogger(
            "io.zab.protocol.LeaderRole");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level levelBefore;

    SyncLog() {
        levelBefore = logger.getLevel();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    /** Every decision logged so far, oldest first. */
    List<Decision> decisions() {
        List<Decision> out = new ArrayList<>();
        for (String line : lines()) {
            Matcher m = SYNC.matcher(line);
            if (m.matches()) {
                out.add(new Decision(Integer.parseInt(m.group(1)), m.group(2),
                        Integer.parseInt(m.group(3)), line));
            }
        }
        return out;
    }

    /** Decisions about {@code learner}, oldest first. */
    List<Decision> decisionsFor(int learner) {
        return decisions().stream().filter(d -> d.learner() == learner).toList();
    }

    List<String> lines() {
        synchronized (appender) { // AppenderBase appends holding this lock
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    void clear() {
        synchronized (appender) {
            appender.list.clear();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setAdditive(true);
        logger.setLevel(levelBefore);
    }
}
