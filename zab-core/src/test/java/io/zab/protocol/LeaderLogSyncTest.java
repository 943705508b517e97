package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.assertActions;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.send;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Synchronization served from the leader's log on disk: a learner behind the history kept in
 * memory but within the log gets DIFF (or TRUNC), its NEWLEADER at once, and the txns after it
 * read from the log in bounded reads within its window; a learner behind the log, or one that
 * lacks txns of an older epoch only the log holds, gets SNAP; a failed read drops the learner.
 */
class LeaderLogSyncTest {
    /** Payload bytes of each txn proposed in epoch 3. */
    private static final int TXN = 8;

    /**
     * Leader N1 of epoch 3 in broadcast with N2: its log holds (2,1..5) and (3,1..10), every
     * one committed and applied, but its history in memory keeps only (3,9),(3,10)
     * (historyMaxTxns 2). Learners get a window of {@code windowBytes}.
     */
    private static Conversation leaderWithLongLog(long windowBytes) {
        CoreConfig cfg = new CoreConfig(N1, Set.of(N1, N2, N3), Set.of(), 10, 5, 1 << 20, 2,
                100, Zxid.MAX_PART, false, CoreConfig.HISTORY_MAX_BYTES,
                CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES, windowBytes);
        Conversation c = new Conversation(cfg, N1, state(2, 2, log(new long[] {2, 5})));
        c.receive(N2, new FollowerInfo(2, z(2, 5)));
        c.persistAll();
        c.receive(N2, new AckEpoch(3, 2, z(2, 5)));
        c.receive(N2, new AckNewLeader(3, z(2, 5)));
        c.persistAll();
        assertTrue(c.core.isBroadcasting());
        for (int i = 1; i <= 10; i++) {
            c.on(new Event.Submit(i, payload(3, i)));
        }
        c.persistAll();
        for (int i = 1; i <= 10; i++) {
            c.receive(N2, new Ack(z(3, i)));
        }
        c.on(new Event.Applied(z(3, 10)));
        assertEquals(z(3, 10), c.core.lastCommittedZxid());
        assertEquals(z(3, 8), c.core.history().base(), "memory keeps the last two txns");
        assertEquals(Zxid.ZERO, c.core.logStart(), "the log keeps everything");
        return c;
    }

    private static byte[] payload(long epoch, long counter) {
        byte[] b = new byte[TXN];
        b[0] = (byte) epoch;
        b[1] = (byte) counter;
        return b;
    }

    /** The txn the leader proposed at (3, i), as its log returns it. */
    private static Txn logged(long counter) {
        return new Txn(z(3, counter), payload(3, counter));
    }

    private static List<Txn> logged(long from, long to) {
        List<Txn> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(logged(i));
        }
        return out;
    }

    private static Proposal proposal(long counter) {
        return new Proposal(logged(counter), null, 0);
    }

    private static NewLeader newLeader(Conversation c, Zxid last) {
        return new NewLeader(3, last, c.core.membership());
    }

    /** N3 comes back with {@code last}: FOLLOWERINFO, then ACKEPOCH; what the leader did. */
    private static List<Action> learnerReturns(Conversation c, Zxid last) {
        assertActions(c.receive(N3, new FollowerInfo(3, last)), send(N3, new LeaderInfo(3)));
        return c.receive(N3, new AckEpoch(3, last.epoch(), last));
    }

    @Test
    void aLearnerBehindTheHistoryButWithinTheLogGetsDiffFromTheLogWithinItsWindow() {
        long window = 3 * TXN;
        Conversation c = leaderWithLongLog(window);
        // NEWLEADER at once, at its own last zxid; the first read asks for what the window
        // takes (nothing is unacknowledged yet).
        assertActions(learnerReturns(c, z(3, 3)), send(N3, new Diff(3, z(3, 10))),
                send(N3, newLeader(c, z(3, 3))), new Action.ReadLog(N3, z(3, 3), window),
                send(N3, new Commit(z(3, 3))));
        // The log returns what fits the bound: sent, with the commit up to it.
        assertActions(c.on(new Event.LogRead(N3, z(3, 3), logged(4, 6))),
                send(N3, proposal(4)), send(N3, proposal(5)), send(N3, proposal(6)),
                send(N3, new Commit(z(3, 6))));
        // The window is full: nothing more until N3 acks, which it does only after NEWLEADER.
        assertActions(c.receive(N3, new AckNewLeader(3, z(3, 3))),
                send(N3, new UpToDate(3, z(3, 10))));
        // One txn acked: a third of a window is free, less than half a read; no read yet.
        assertActions(c.receive(N3, new Ack(z(3, 4))));
        // Two acked: the free room (two txns) is read, no more.
        assertActions(c.receive(N3, new Ack(z(3, 5))),
                new Action.ReadLog(N3, z(3, 6), 2 * TXN));
        assertActions(c.on(new Event.LogRead(N3, z(3, 6), logged(7, 8))),
                send(N3, proposal(7)), send(N3, proposal(8)), send(N3, new Commit(z(3, 8))));
        // From (3,8) on the history in memory has it: no more reads.
        assertActions(c.receive(N3, new Ack(z(3, 8))), send(N3, proposal(9)),
                send(N3, proposal(10)), send(N3, new Commit(z(3, 10))));
        c.receive(N3, new Ack(z(3, 10)));
        assertEquals(z(3, 10), c.core.learners().get(N3).ackedZxid());
        assertEquals("broadcast", c.core.learners().get(N3).phase());
        // New proposals go to it straight away, as to any learner in broadcast.
        List<Action> a = c.on(new Event.Submit(11, payload(3, 11)));
        assertEquals(List.of(new Proposal(logged(11), null, 11)), sent(a, N3),
                "the next proposal reaches N3");
    }

    @Test
    void aReadReturnsAtLeastOneTxnAndWhatDoesNotFitWaitsForRoom() {
        Conversation c = leaderWithLongLog(2 * TXN);
        learnerReturns(c, z(3, 3));
        // A read that came back larger than the room (a log returns one txn whatever the
        // bound, or a bound asked for an earlier room): the rest waits for acks.
        assertActions(c.on(new Event.LogRead(N3, z(3, 3), logged(4, 7))),
                send(N3, proposal(4)), send(N3, proposal(5)), send(N3, new Commit(z(3, 5))));
        c.receive(N3, new AckNewLeader(3, z(3, 3)));
        assertActions(c.receive(N3, new Ack(z(3, 5))), send(N3, proposal(6)),
                send(N3, proposal(7)), send(N3, new Commit(z(3, 7))));
        assertActions(c.receive(N3, new Ack(z(3, 7))), new Action.ReadLog(N3, z(3, 7),
                2 * TXN));
    }

    /** Proposals made while the log part streams are not lost: the log or memory has them. */
    @Test
    void txnsProposedWhileTheLogPartStreamsFollowIt() {
        Conversation c = leaderWithLongLog(1 << 20);
        learnerReturns(c, z(3, 1));
        // N2 keeps the quorum: 20 more txns commit and the history moves on past them.
        for (int i = 11; i <= 30; i++) {
            c.on(new Event.Submit(i, payload(3, i)));
        }
        c.persistAll();
        c.receive(N2, new Ack(z(3, 30)));
        c.on(new Event.Applied(z(3, 30)));
        assertEquals(z(3, 28), c.core.history().base(), "not held back for N3: it reads the log");
        List<Action> a = c.on(new Event.LogRead(N3, z(3, 1), logged(2, 12)));
        List<Message> toN3 = sent(a, N3);
        assertEquals(proposal(12), toN3.get(10), "the read's txns, in order");
        assertEquals(List.of(new Action.ReadLog(N3, z(3, 12), (1 << 20) - 11 * TXN)),
                Conversation.only(a, Action.ReadLog.class), "the next read: the window's room");
        a = c.on(new Event.LogRead(N3, z(3, 12), logged(13, 28)));
        toN3 = sent(a, N3);
        assertEquals(List.of(proposal(29), proposal(30)), toN3.subList(16, 18),
                "then the history in memory: " + toN3);
        assertEquals(new Commit(z(3, 30)), toN3.get(toN3.size() - 1));
        assertEquals(List.of(), Conversation.only(a, Action.ReadLog.class));
    }

    @Test
    void aLearnerBehindTheLogsStartGetsSnap() {
        Conversation c = leaderWithLongLog(1 << 20);
        // The snapshots kept have passed (3,6): the log may drop everything up to it.
        assertActions(c.on(new Event.LogPurgeable(z(3, 6))), new Action.PurgeLog(z(3, 6)));
        assertEquals(z(3, 6), c.core.logStart());
        List<Action> a = learnerReturns(c, z(3, 5));
        assertEquals(List.of(new Action.TakeSnapshot(N3)), a, "behind the log: SNAP");
        // One at the log's start is still served from it.
        Conversation d = leaderWithLongLog(1 << 20);
        d.on(new Event.LogPurgeable(z(3, 6)));
        assertEquals(new Action.ReadLog(N3, z(3, 6), 1 << 20), learnerReturns(d, z(3, 6))
                .get(2), "one at the log's start is served from it");
    }

    /** A learner at the ZOOKEEPER-1154 boundary, beyond the history: the log proves the cut. */
    @Test
    void aDivergentTailBeyondTheHistoryIsTruncatedWhereTheLogProvesTheCommonPoint() {
        Conversation c = leaderWithLongLog(1 << 20);
        // N3 logged (2,6),(2,7) that no quorum took; our log has epoch 2 up to (2,5) only.
        List<Action> a = learnerReturns(c, z(2, 7));
        assertActions(a, send(N3, new Trunc(3, z(2, 5))), send(N3, newLeader(c, z(2, 5))),
                new Action.ReadLog(N3, z(2, 5), 1 << 20));
        assertActions(c.on(new Event.LogRead(N3, z(2, 5), logged(1, 10))).subList(0, 1),
                send(N3, proposal(1)));
    }

    /**
     * Txns of an earlier epoch must precede NEWLEADER, where no window applies (a learner acks
     * nothing before it has acked NEWLEADER); the log is not read for them: SNAP, as when the
     * history in memory lacks them. (During synchronization every txn is of an earlier epoch,
     * so a learner behind the history in memory gets SNAP then, as before.)
     */
    @Test
    void aLearnerLackingOlderEpochTxnsOnlyTheLogHoldsGetsSnap() {
        Conversation c = leaderWithLongLog(1 << 20);
        assertEquals(List.of(new Action.TakeSnapshot(N3)), learnerReturns(c, z(2, 3)));
    }

    /**
     * A blank node rejoining with EXISTING abstains until currentEpoch says it holds our
     * history; after NEWLEADER at its own (empty) last zxid it would save our epoch and vote
     * again while holding nothing, and with the leader gone help elect one that lacks a txn
     * it had acked before its disk was lost (the review of the log-DIFF change). SNAP instead:
     * it holds everything before it acks NEWLEADER.
     */
    @Test
    void anAbstainingLearnerIsNeverSyncedFromTheLogAfterNewLeader() {
        // Abstaining at (2,5): blank and EXISTING, then synced by a SNAP at (2,5) and crashed
        // before its currentEpoch was durable. What it lacks is all of epoch 3.
        Conversation c = leaderWithLongLog(1 << 20);
        assertActions(c.receive(N3, new FollowerInfo(2, z(2, 5), true)),
                send(N3, new LeaderInfo(3)));
        assertEquals(List.of(new Action.TakeSnapshot(N3)),
                c.receive(N3, new AckEpoch(3, 0, z(2, 5))));
        // The same learner not abstaining: served from the log after NEWLEADER.
        Conversation d = leaderWithLongLog(1 << 20);
        assertTrue(learnerReturns(d, z(2, 5)).contains(new Action.ReadLog(N3, z(2, 5), 1 << 20)),
                "not abstaining: from the log");
    }

    @Test
    void aFailedReadDropsTheLearner() {
        Conversation c = leaderWithLongLog(1 << 20);
        learnerReturns(c, z(3, 3));
        assertFalse(sent(c.on(new Event.Tick()), N3).isEmpty(), "pinged");
        c.on(new Event.LogReadFailed(N3, z(3, 2), "a read it no longer waits for"));
        assertFalse(sent(c.on(new Event.Tick()), N3).isEmpty(), "a stale failure changes nothing");
        c.on(new Event.LogReadFailed(N3, z(3, 3), "java.io.IOException: bad sector"));
        assertEquals(List.of(), sent(c.on(new Event.Tick()), N3),
                "dropped: no more pings, so it looks for its leader again");
        assertEquals(List.of(), c.on(new Event.LogRead(N3, z(3, 3), logged(4, 5))),
                "a late read is not sent to a dropped learner");
        assertFalse(c.core.learners().containsKey(N3));
    }

    /** A read that does not continue where the learner is (the log was cut) drops it too. */
    @Test
    void aReadWithAGapDropsTheLearner() {
        Conversation c = leaderWithLongLog(1 << 20);
        learnerReturns(c, z(3, 3));
        assertEquals(List.of(), c.on(new Event.LogRead(N3, z(3, 3), logged(5, 6))),
                "nothing sent past a gap");
        assertFalse(c.core.learners().containsKey(N3));
    }

    /**
     * A learner in broadcast that falls behind the history in memory is fed from the log
     * instead of being dropped (it used to resync, by SNAP).
     */
    @Test
    void aLaggingLearnerInBroadcastIsFedFromTheLog() {
        CoreConfig cfg = new CoreConfig(N1, Set.of(N1, N2, N3), Set.of(), 10, 5, 1 << 20, 2,
                100, Zxid.MAX_PART, false, 4 * TXN, CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES,
                2 * TXN);
        Conversation c = new Conversation(cfg, N1, state(2, 2, log(new long[] {2, 2})));
        for (PeerId p : List.of(N2, N3)) {
            c.receive(p, new FollowerInfo(2, z(2, 2)));
        }
        c.persistAll();
        for (PeerId p : List.of(N2, N3)) {
            c.receive(p, new AckEpoch(3, 2, z(2, 2)));
            c.receive(p, new AckNewLeader(3, z(2, 2)));
        }
        c.persistAll();
        for (int i = 1; i <= 10; i++) {
            c.on(new Event.Submit(i, payload(3, i)));
        }
        c.persistAll();
        for (int i = 1; i <= 10; i++) {
            c.receive(N2, new Ack(z(3, i)));
        }
        c.on(new Event.Applied(z(3, 10)));
        // N3 was sent (3,1),(3,2) (its window) and acked nothing; it is more than the history's
        // byte bound behind, so the history went on without it.
        assertEquals(z(3, 8), c.core.history().base());
        List<Action> a = c.receive(N3, new Ack(z(3, 2)));
        assertEquals(List.of(new Action.ReadLog(N3, z(3, 2), 2 * TXN)),
                Conversation.only(a, Action.ReadLog.class));
        assertTrue(c.core.learners().containsKey(N3), "not dropped");
        assertActions(c.on(new Event.LogRead(N3, z(3, 2), logged(3, 4))), send(N3, proposal(3)),
                send(N3, proposal(4)), send(N3, new Commit(z(3, 4))));
    }

    /**
     * Origins of forwarded txns are kept only until their own learner was sent them: a learner
     * catching up from far behind does not hold them all back for its whole catch-up.
     */
    @Test
    void aLearnerCatchingUpFromTheLogDoesNotHoldForwardedOriginsBack() {
        Conversation c = leaderWithLongLog(1 << 20);
        learnerReturns(c, z(3, 3));
        List<Action> a = c.receive(N2, new io.zab.protocol.message.Request(77, payload(3, 11),
                0));
        Proposal forwarded = new Proposal(logged(11), N2, 77);
        assertEquals(List.of(forwarded), sent(a, N2), "N2 learns its request became (3,11)");
        c.persistAll();
        c.receive(N2, new Ack(z(3, 11)));
        assertEquals(z(3, 11), c.core.lastCommittedZxid());
        List<Message> toN3 = sent(c.on(new Event.LogRead(N3, z(3, 3), logged(4, 10))), N3);
        assertEquals(new Proposal(logged(11), null, 0), toN3.get(7),
                "N3 gets (3,11) without N2's origin, forgotten once N2 had it: " + toN3);
    }
    /**
     * A learner that forwarded a write and then reconnected holds no origin back: its request
     * ended with its old connection, so while it catches up from far behind the origins of
     * every later txn are not kept for it (they were, for its whole catch-up). N3 forwards
     * (3,11) and is lost before it commits; it returns from (3,3).
     */
    @Test
    void aLearnerThatReconnectedHoldsNoOriginsOfItsOldConnectionBack() {
        Conversation c = leaderWithLongLog(1 << 20);
        learnerReturns(c, z(3, 10));
        c.receive(N3, new AckNewLeader(3, z(3, 10)));
        List<Action> a = c.receive(N3, new io.zab.protocol.message.Request(55,
                payload(3, 11), 0));
        assertEquals(List.of(new Proposal(logged(11), N3, 55)), sent(a, N3));
        c.on(new Event.PeerDisconnected(N3));
        assertTrue(!c.core.learners().containsKey(N3), "dropped");
        learnerReturns(c, z(3, 3));
        c.persistAll();
        c.receive(N2, new Ack(z(3, 11)));
        assertEquals(z(3, 11), c.core.lastCommittedZxid());
        List<Message> toN3 = sent(c.on(new Event.LogRead(N3, z(3, 3), logged(4, 10))), N3);
        assertTrue(toN3.contains(new Proposal(logged(11), null, 0)),
                "(3,11) without the origin of N3's old connection: " + toN3);
    }
}
