package io.zab.election.fle;

import static io.zab.Role.FOLLOWING;
import static io.zab.Role.LEADING;
import static io.zab.Role.LOOKING;
import static io.zab.Role.OBSERVING;
import static io.zab.election.fle.FastLeaderElectionTest.looking;
import static io.zab.election.fle.FastLeaderElectionTest.p;
import static io.zab.election.fle.FastLeaderElectionTest.vote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.message.Notification;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Bad input: each notification below is dropped with a WARN and changes nothing, and the
 * election still decides afterwards.
 */
class BadNotificationTest {
    private final NotificationCheck check = new NotificationCheck(p(1), Set.of(p(1), p(2), p(3)),
            Set.of(p(4)));

    private static final Vote FUTURE = new Vote(p(2), 1L << 32, new Zxid(4, 1));

    static List<Object[]> badOnes() {
        return List.of(
                new Object[] {p(9), looking(vote(2, 1, 1), 1), "unknown sid"},
                new Object[] {null, looking(vote(2, 1, 1), 1), "no sender"},
                new Object[] {p(1), looking(vote(2, 1, 1), 1), "this node"},
                new Object[] {p(2), looking(FUTURE, 1), "from the future"},
                new Object[] {p(2), looking(new Vote(p(2), Long.MAX_VALUE, Zxid.ZERO), 1),
                    "from the future"},
                new Object[] {p(2), looking(new Vote(p(2), -1, Zxid.ZERO), 1), "negative"},
                new Object[] {p(2), null, "missing"},
                new Object[] {p(2), new Notification(null, 1, LOOKING), "missing"},
                new Object[] {p(2), new Notification(vote(2, 1, 1), 1, null), "missing"},
                new Object[] {p(2), looking(new Vote(null, 1, Zxid.ZERO), 1), "without leader"},
                new Object[] {p(2), looking(new Vote(p(2), 1, null), 1), "without leader"},
                new Object[] {p(2), looking(vote(2, 1, 1), -1), "round"},
                new Object[] {p(2), looking(vote(2, 1, 1), Long.MAX_VALUE), "round"},
                new Object[] {p(2), looking(vote(4, 1, 1), 1), "not a voter"},
                new Object[] {p(2), looking(vote(7, 1, 1), 1), "not a voter"},
                new Object[] {p(2), new Notification(vote(2, 1, 1), 1, OBSERVING), "OBSERVING"},
                new Object[] {p(2), new Notification(vote(3, 1, 1), 1, LEADING), "LEADING"},
                new Object[] {p(2), new Notification(vote(2, 1, 1), 1, FOLLOWING), "itself"},
                new Object[] {p(4), new Notification(vote(2, 1, 1), 1, FOLLOWING), "observer"},
                new Object[] {p(2), new Notification(vote(2, 1, 1), 1, LOOKING, false, null),
                    "no membership version"});
    }

    /** As an election at the configured membership (version zero) sees it. */
    private String problem(PeerId from, Notification n) {
        return check.problem(from, n, Zxid.ZERO);
    }

    @Test
    void everyKindOfBadNotificationIsNamed() {
        for (Object[] c : badOnes()) {
            String problem = problem((PeerId) c[0], (Notification) c[1]);
            assertNotNull(problem, "accepted " + c[1] + " from " + c[0]);
            assertTrue(problem.contains((String) c[2]), problem + " should say " + c[2]);
        }
    }

    @Test
    void goodNotificationsPass() {
        assertNull(problem(p(2), looking(vote(3, 1, 1), 0)));
        assertNull(problem(p(2), new Notification(vote(2, 4, 1), 1, LEADING)));
        assertNull(problem(p(3), new Notification(vote(2, 1, 1), 1, FOLLOWING)));
        // Observers only ask; whatever they vote is not looked at.
        assertNull(problem(p(4), looking(vote(4, 1, 1), 0)));
        // A currentEpoch above the epoch of the last zxid is normal (a new epoch, no txn yet),
        // and so is one below it: a learner that logged the new epoch's txns in sync before
        // it saved the new currentEpoch (zab-core's simulator found one, seed 4).
        assertNull(problem(p(2), looking(new Vote(p(2), 5, new Zxid(3, 9)), 1)));
        assertNull(problem(p(2), looking(new Vote(p(2), 15, new Zxid(16, 4)), 1)));
        assertNull(problem(p(2), new Notification(new Vote(p(3), 15, new Zxid(16, 4)), 1,
                FOLLOWING)));
        // At another membership version a vote may name a member this node does not know yet;
        // it is never counted, so it is no reason to warn.
        assertNull(problem(p(2), new Notification(vote(7, 1, 1), 1, FOLLOWING, false,
                new Zxid(1, 5))));
        assertTrue(problem(p(2), new Notification(vote(7, 1, 1), 1, LEADING, false,
                new Zxid(1, 5))).contains("LEADING"));
    }

    @Test
    void eachIsLoggedAtWarnNamingThePeerAndTheReasonButAFloodIsNot() {
        Logger logger = (Logger) LoggerFactory.getLogger(FastLeaderElection.class);
        Level before = logger.getLevel();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.WARN);
        logger.setAdditive(false);
        try {
            RecordingContext ctx = RecordingContext.voters(1, 3);
            FastLeaderElection fle = new FastLeaderElection();
            fle.init(ctx);
            fle.lookForLeader(vote(1, 1, 1));
            fle.onNotification(p(2), looking(FUTURE, 1));
            assertEquals(1, appender.list.size());
            String line = appender.list.get(0).getFormattedMessage();
            assertEquals(Level.WARN, appender.list.get(0).getLevel());
            assertTrue(line.contains("from peer 2") && line.contains("from the future"), line);
            for (int i = 0; i < 2_999; i++) {
                fle.onNotification(p(2), looking(FUTURE, 1));
                fle.onNotification(p(100 + i), looking(vote(2, 1, 1), 1));
            }
            // The first ten of each sender, then one in a thousand: 10 + 3 of 3,000 for peer 2,
            // 10 + 2 of 2,999 for the made-up sids together.
            assertEquals(25, appender.list.size());
            assertEquals(1 + 2 * 2_999, fle.ignoredNotifications());
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(before);
            logger.setAdditive(true);
        }
    }

    @Test
    void badNotificationsChangeNothingAndTheElectionStillDecides() {
        RecordingContext ctx = new RecordingContext(1, Set.of(1, 2, 3), Set.of(4));
        FastLeaderElection fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(vote(1, 1, 1));
        ctx.drain();
        List<Object[]> bad = badOnes();
        for (Object[] c : bad) {
            fle.onNotification((PeerId) c[0], (Notification) c[1]);
        }
        assertEquals(bad.size(), fle.ignoredNotifications());
        assertEquals(List.of(), ctx.drain());
        assertEquals(1, fle.round());
        assertEquals(Optional.of(vote(1, 1, 1)), fle.currentVote());
        fle.onNotification(p(2), looking(vote(1, 1, 1), 1));
        fle.onTick();
        fle.onTick();
        assertEquals(Optional.of(p(1)), fle.takeDecision());
    }
}
