package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.assertActions;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.send;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.steppedDown;
import static io.zab.protocol.Conversation.txn;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.SyncReply;
import io.zab.protocol.message.SyncRequest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Broadcast on the leader: propose, cumulative ACK, COMMIT in order, sync(), step-down. */
class LeaderBroadcastTest {
    /** Leader 1 established in epoch 3 with follower 2; history (2,1..2). */
    static Conversation established(CoreConfig config) {
        Conversation c = new Conversation(config, N1, state(2, 2, log(new long[] {2, 2})));
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new AckEpoch(3, 2, z(2, 2)));
        c.receive(N2, new AckNewLeader(3, z(2, 2)));
        c.persistAll();
        assertTrue(c.core.isBroadcasting());
        return c;
    }

    static Conversation established() {
        return established(CoreConfig.of(N1, Set.of(N1, N2, N3), Set.of()));
    }

    @Test
    void commitsOnceAQuorumIncludingItsOwnDurableAppendHoldsTheTxn() {
        Conversation c = established();
        byte[] v = {7};
        List<Action> a = c.on(new Event.Submit(5, v));
        Txn t = new Txn(z(3, 1), v);
        long seq = c.lastSeq();
        assertActions(a, new Action.AppendTxns(seq, List.of(t)),
                new Action.RequestProposed(5, z(3, 1)), send(N2, new Proposal(t, null, 5)));
        assertActions(c.receive(N2, new Ack(z(3, 1)))); // the leader's own copy is not durable
        assertActions(c.persistAll(), send(N2, new Commit(z(3, 1))),
                new Action.Deliver(List.of(t)));
        assertEquals(z(3, 1), c.core.lastCommittedZxid());
    }

    @Test
    void acksAreCumulativeAndDuplicatesChangeNothing() {
        Conversation c = established();
        for (int i = 0; i < 3; i++) {
            c.on(new Event.Submit(i, new byte[] {(byte) i}));
        }
        c.persistAll();
        List<Action> a = c.receive(N2, new Ack(z(3, 3)));
        assertEquals(List.of(new Commit(z(3, 3))), sent(a, N2));
        assertEquals(3, Conversation.only(a, Action.Deliver.class).get(0).txns().size());
        assertActions(c.receive(N2, new Ack(z(3, 3))));
        assertActions(c.receive(N2, new Ack(z(3, 2))));
    }

    /** No honest follower sends either (issue 18): rejected, its connection closed. */
    @Test
    void ackForAnotherEpochOrAnUnknownZxidIsRejected() {
        Conversation c = established();
        c.on(new Event.Submit(1, new byte[] {1}));
        c.persistAll();
        assertEquals(1, Conversation.only(c.receive(N2, new Ack(z(2, 2))),
                Action.Disconnect.class).size());
        assertActions(c.receive(N2, new Ack(z(3, 9))));
        assertEquals(z(2, 2), c.core.lastCommittedZxid());
    }

    @Test
    void forwardedRequestsCarryTheirOrigin() {
        Conversation c = established();
        byte[] v = {3};
        List<Action> a = c.receive(N2, new Request(77, v));
        assertEquals(List.of(new Proposal(new Txn(z(3, 1), v), N2, 77)), sent(a, N2));
    }

    @Test
    void rejectsTooLargeTxnsAndTooManyInFlight() {
        CoreConfig cfg = new CoreConfig(N1, Set.of(N1, N2, N3), Set.of(), 10, 5, 4, 100, 2,
                Zxid.MAX_PART, false);
        Conversation c = established(cfg);
        List<Action> a = c.on(new Event.Submit(1, new byte[5]));
        assertEquals(Outcome.Kind.TOO_LARGE,
                Conversation.only(a, Action.Complete.class).get(0).outcome().kind());
        c.on(new Event.Submit(2, new byte[1]));
        c.on(new Event.Submit(3, new byte[1]));
        a = c.on(new Event.Submit(4, new byte[1]));
        assertEquals(Outcome.Kind.OVERLOADED,
                Conversation.only(a, Action.Complete.class).get(0).outcome().kind());
    }

    /**
     * ZOOKEEPER-1277: the counter never wraps into the epoch bits. The write that finds it used
     * up is refused; the leader admits nothing more and steps down once what it proposed has
     * committed, so those writes keep their outcome.
     */
    @Test
    void anExhaustedCounterForcesANewEpochOnceItsProposalsCommit() {
        CoreConfig cfg = CoreConfig.of(N1, Set.of(N1, N2, N3), Set.of()).withZxidCounterMax(2);
        Conversation c = established(cfg);
        c.on(new Event.Submit(1, new byte[1]));
        assertFalse(steppedDown(c.on(new Event.Submit(2, new byte[1]))));
        List<Action> a = c.on(new Event.Submit(3, new byte[1]));
        assertFalse(steppedDown(a), "(3,1) and (3,2) are still in flight");
        List<Action.Complete> done = Conversation.only(a, Action.Complete.class);
        assertEquals(1, done.size(), done.toString());
        assertEquals(Outcome.Kind.NOT_LEADER, done.get(0).outcome().kind(), "never proposed");
        assertEquals(List.of(), c.on(new Event.Submit(4, new byte[1], 50)),
                "nothing more is admitted: a write that may wait is held for the next leader");
        c.persistAll();
        assertFalse(steppedDown(c.receive(N2, new Ack(z(3, 1)))), "(3,2) not committed yet");
        a = c.receive(N2, new Ack(z(3, 2)));
        assertTrue(steppedDown(a), "everything proposed has committed");
        assertEquals(z(3, 2), c.core.lastCommittedZxid());
        assertTrue(Conversation.only(a, Action.Complete.class).stream()
                .noneMatch(d -> d.outcome().kind() == Outcome.Kind.OUTCOME_UNKNOWN), a.toString());
    }

    /** A counter used up whose last proposals never commit: leaves after syncLimit at most. */
    @Test
    void anExhaustedCounterWhoseProposalsDoNotCommitLeavesAfterSyncLimit() {
        CoreConfig cfg = CoreConfig.of(N1, Set.of(N1, N2, N3), Set.of()).withZxidCounterMax(2);
        Conversation c = established(cfg);
        c.on(new Event.Submit(1, new byte[1]));
        c.on(new Event.Submit(2, new byte[1]));
        c.on(new Event.Submit(3, new byte[1]));
        boolean left = false;
        for (int i = 0; i <= c.core.config().syncLimitTicks() + 1 && !left; i++) {
            c.on(new Event.Heard(Set.of(N2))); // N2 lives but never acks (3,1) and (3,2)
            left = steppedDown(c.on(new Event.Tick()));
        }
        assertTrue(left, "left within syncLimit of the counter running out");
    }

    /** ZOOKEEPER-1675: sync is served only after a quorum answered a later PING. */
    @Test
    void syncWaitsForAQuorumRoundStartedAfterTheRequest() {
        Conversation c = established();
        List<Action> a = c.on(new Event.SyncRead(9));
        Ping ping = (Ping) sent(a, N2).get(0);
        assertTrue(Conversation.only(a, Action.Complete.class).isEmpty());
        assertActions(c.receive(N2, new PingAck(3, ping.round() - 1)));
        a = c.receive(N2, new PingAck(3, ping.round()));
        assertEquals(List.of(new Action.Complete(9, Outcome.synced(z(2, 2)))), a);
    }

    @Test
    void forwardedSyncGetsItsReadPointAfterTheRound() {
        Conversation c = established();
        Ping ping = (Ping) sent(c.receive(N2, new SyncRequest(4)), N2).get(0);
        assertActions(c.receive(N2, new PingAck(3, ping.round())),
                send(N2, new SyncReply(4, z(2, 2))));
    }

    /** A sync from a learner the leader is not in broadcast with is refused, not dropped. */
    @Test
    void aSyncFromALearnerStillSyncingIsRefusedAtOnce() {
        Conversation c = established();
        c.receive(N3, new FollowerInfo(2, z(2, 2)));
        c.receive(N3, new AckEpoch(3, 2, z(2, 2))); // synced, NEWLEADER not acked yet
        assertEquals(List.of(new io.zab.protocol.message.RequestRefused(8,
                io.zab.protocol.message.RequestRefused.Reason.NOT_LEADER)),
                sent(c.receive(N3, new SyncRequest(8)), N3));
    }

    @Test
    void stepsDownWhenTheQuorumFallsSilent() {
        Conversation c = established();
        int limit = c.core.config().syncLimitTicks();
        for (int i = 0; i < limit; i++) {
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        assertTrue(steppedDown(c.on(new Event.Tick())));
    }

    /** A learner whose messages arrived, handled or not, is not silent ({@link Event.Heard}). */
    @Test
    void aLearnerHeardButNotYetHandledIsNotSilent() {
        Conversation c = established();
        int limit = c.core.config().syncLimitTicks();
        for (int i = 0; i < 3 * limit; i++) {
            c.on(new Event.Heard(java.util.Set.of(N2)));
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        for (int i = 1; i < limit; i++) { // the last Heard counts from the tick after it
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        assertTrue(steppedDown(c.on(new Event.Tick())));
    }

    @Test
    void aLateFollowerIsSyncedAgainstTheEstablishedHistory() {
        Conversation c = established();
        c.on(new Event.Submit(1, new byte[] {1}));
        List<Action> a = c.receive(N3, new FollowerInfo(2, z(2, 1)));
        assertEquals(send(N3, new io.zab.protocol.message.LeaderInfo(3)), a.get(0));
        a = c.receive(N3, new AckEpoch(3, 2, z(2, 1)));
        List<?> msgs = sent(a, N3);
        assertEquals(4, msgs.size(), msgs.toString());
        assertEquals(new Proposal(txn(2, 2), null, 0), msgs.get(1));
        assertEquals(new io.zab.protocol.message.NewLeader(3, z(3, 1), io.zab.Membership.of(
                java.util.Set.of(N1, N2, N3), java.util.Set.of())), msgs.get(3));
        a = c.receive(N3, new AckNewLeader(3, z(3, 1)));
        assertEquals(List.of(new io.zab.protocol.message.UpToDate(3, z(2, 2))), sent(a, N3));
    }

    /** Found by KvServerTest: a quorum of followers committed before our own copy was durable. */
    @Test
    void deliversOnceItsOwnCopyIsDurableEvenIfFollowersCommittedFirst() {
        Conversation c = established();
        c.receive(N3, new FollowerInfo(2, z(2, 2)));
        c.receive(N3, new AckEpoch(3, 2, z(2, 2)));
        c.receive(N3, new AckNewLeader(3, z(2, 2)));
        byte[] v = {4};
        c.on(new Event.Submit(6, v));
        c.receive(N2, new Ack(z(3, 1)));
        List<Action> a = c.receive(N3, new Ack(z(3, 1)));
        assertEquals(List.of(new Commit(z(3, 1))), sent(a, N2), "committed by a quorum");
        assertTrue(Conversation.only(a, Action.Deliver.class).isEmpty(), "not durable here");
        assertEquals(List.of(new Action.Deliver(List.of(new Txn(z(3, 1), v)))),
                Conversation.only(c.persistAll(), Action.Deliver.class));
    }
}
