package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Admission and flow control in the core (issue 12): the leader's in-flight budget counts until
 * its own state machine applied a txn; a request beyond it waits within its wait or is refused
 * (never applied), a forwarded one with an answer; a request with a wait waits for a leader; a
 * learner gets only a window of unacknowledged bytes and never a COMMIT beyond what it has.
 */
class AdmissionTest {
    /** Two txns or 10 bytes in flight; a learner window of 8 bytes. */
    private static CoreConfig tight() {
        return new CoreConfig(N1, Set.of(N1, N2, N3), Set.of(), 10, 5, 8, 100, 2,
                Zxid.MAX_PART, false, 1 << 20, 10, 8);
    }

    private static Outcome.Kind completed(List<Action> a, long requestId) {
        for (Action.Complete c : Conversation.only(a, Action.Complete.class)) {
            if (c.requestId() == requestId) {
                return c.outcome().kind();
            }
        }
        return null;
    }

    @Test
    void theBudgetCountsUntilTheLeaderAppliedTheTxnNotOnlyUntilItCommits() {
        Conversation c = LeaderBroadcastTest.established(tight());
        c.on(new Event.Submit(1, new byte[4]));
        c.on(new Event.Submit(2, new byte[4]));
        assertEquals(Outcome.Kind.OVERLOADED, completed(c.on(new Event.Submit(3, new byte[1])), 3),
                "two txns in flight");
        c.persistAll();
        c.receive(N2, new Ack(z(3, 2)));
        assertEquals(z(3, 2), c.core.lastCommittedZxid());
        assertEquals(Outcome.Kind.OVERLOADED, completed(c.on(new Event.Submit(4, new byte[1])), 4),
                "committed but not applied: still in flight (it sits in the delivery queue)");
        c.on(new Event.Applied(z(3, 1)));
        List<Action> a = c.on(new Event.Submit(5, new byte[4]));
        assertEquals(null, completed(a, 5));
        assertEquals(List.of(new Proposal(new Txn(z(3, 3), new byte[4]), null, 5)), sent(a, N2));
    }

    @Test
    void aWaitingSubmitIsProposedWhenRoomFreesOrRefusedWhenItsWaitRunsOut() {
        Conversation c = LeaderBroadcastTest.established(tight());
        c.on(new Event.Submit(1, new byte[4]));
        c.on(new Event.Submit(2, new byte[4]));
        assertEquals(null, completed(c.on(new Event.Submit(3, new byte[2], 3)), 3), "held");
        assertEquals(null, completed(c.on(new Event.Submit(4, new byte[2], 1)), 4), "held");
        List<Action> a = new java.util.ArrayList<>(c.on(new Event.Tick()));
        assertEquals(null, completed(a, 4), "within its wait of 1 tick");
        a.addAll(c.on(new Event.Tick()));
        assertEquals(Outcome.Kind.OVERLOADED, completed(a, 4), "its wait of 1 tick ran out");
        assertEquals(null, completed(a, 3), "3 ticks to wait");
        c.persistAll();
        c.receive(N2, new Ack(z(3, 2)));
        a = c.on(new Event.Applied(z(3, 2)));
        assertEquals(List.of(new Proposal(new Txn(z(3, 3), new byte[2]), null, 3)), sent(a, N2),
                "proposed once room freed");
    }

    @Test
    void aForwardedRequestBeyondTheBudgetIsAnsweredNotDropped() {
        Conversation c = LeaderBroadcastTest.established(tight());
        c.on(new Event.Submit(1, new byte[4]));
        c.on(new Event.Submit(2, new byte[4]));
        assertEquals(List.of(new RequestRefused(77, RequestRefused.Reason.OVERLOADED)),
                sent(c.receive(N2, new Request(77, new byte[1])), N2));
        assertEquals(List.of(new RequestRefused(78, RequestRefused.Reason.TOO_LARGE)),
                sent(c.receive(N2, new Request(78, new byte[9], 5)), N2));
        assertEquals(List.of(), sent(c.receive(N2, new Request(79, new byte[1], 5)), N2),
                "held within its wait");
        c.persistAll();
        c.receive(N2, new Ack(z(3, 2)));
        List<Action> a = c.on(new Event.Applied(z(3, 1)));
        assertEquals(List.of(new Proposal(new Txn(z(3, 3), new byte[1]), N2, 79)), sent(a, N2));
    }

    @Test
    void aLeaderSteppingDownRefusesForwardedRequestsItHeldAndKeepsLocalOnesWaiting() {
        Conversation c = LeaderBroadcastTest.established(tight());
        c.on(new Event.Submit(1, new byte[4]));
        c.on(new Event.Submit(2, new byte[4]));
        c.receive(N2, new Request(79, new byte[1], 50));
        c.on(new Event.Submit(3, new byte[1], 50));
        List<Action> a = c.on(new Event.PeerDisconnected(N2));
        a = new java.util.ArrayList<>(a);
        for (int i = 0; i < 3; i++) {
            a.addAll(c.on(new Event.Tick()));
        }
        assertTrue(Conversation.steppedDown(a), "lost its quorum");
        assertTrue(sent(a, N2).contains(new RequestRefused(79, RequestRefused.Reason.NOT_LEADER)));
        assertEquals(null, completed(a, 3), "never proposed: waits for the next leader");
        assertEquals(Outcome.Kind.OUTCOME_UNKNOWN, completed(a, 1), "proposed: unknown");
    }

    @Test
    void aFollowerFailsAForwardedRequestWithTheLeadersRefusal() {
        Conversation c = following();
        List<Message> out = sent(c.on(new Event.Submit(42, new byte[] {1}, 7)), N1);
        assertEquals(1, out.size());
        Request forwarded = (Request) out.get(0);
        assertEquals(42, forwarded.requestId());
        assertEquals(7, forwarded.waitTicks(), "the leader may hold it as long as we wait");
        List<Action> a = c.receive(N1, new RequestRefused(42, RequestRefused.Reason.OVERLOADED));
        assertEquals(Outcome.Kind.OVERLOADED, completed(a, 42));
        assertEquals(List.of(), c.receive(N1, new RequestRefused(42,
                RequestRefused.Reason.OVERLOADED)), "answered once");
    }

    /** Follower 2 of leader 1 before broadcast (as right after start or an election). */
    @Test
    void aFollowerForwardsWithinTheLeadersBudgetAndBacksOffAfterARefusal() {
        Conversation c = following(tight());
        assertEquals(1, sent(c.on(new Event.Submit(1, new byte[4])), N1).size());
        assertEquals(1, sent(c.on(new Event.Submit(2, new byte[4])), N1).size());
        List<Action> a = c.on(new Event.Submit(3, new byte[1]));
        assertEquals(Outcome.Kind.OVERLOADED, completed(a, 3), "two forwarded: the budget");
        assertEquals(List.of(), sent(a, N1));
        assertEquals(List.of(), sent(c.on(new Event.Submit(4, new byte[1], 5)), N1),
                "held within its wait");
        a = c.receive(N1, new RequestRefused(1, RequestRefused.Reason.OVERLOADED));
        assertEquals(Outcome.Kind.OVERLOADED, completed(a, 1));
        assertEquals(1, sent(a, N1).size(), "the held write goes out once there is room");
        a = c.receive(N1, new RequestRefused(2, RequestRefused.Reason.OVERLOADED));
        a = c.on(new Event.Submit(5, new byte[1]));
        assertEquals(Outcome.Kind.OVERLOADED, completed(a, 5),
                "refused here while the leader just refused for lack of room");
        assertEquals(List.of(), sent(a, N1));
        c.on(new Event.Tick());
        assertEquals(1, sent(c.on(new Event.Submit(6, new byte[1])), N1).size(),
                "forwarded again after a tick");
    }

    @Test
    void aRequestWithAWaitWaitsForALeaderInBroadcastAndOneWithoutFailsAtOnce() {
        Conversation c = new Conversation(N2, N1, Conversation.state(0, 0, List.of()));
        assertEquals(Outcome.Kind.NOT_LEADER, completed(c.on(new Event.Submit(1, new byte[1])),
                1));
        assertEquals(null, completed(c.on(new Event.Submit(2, new byte[1], 20)), 2));
        assertEquals(null, completed(c.on(new Event.SyncRead(3, 20)), 3));
        assertEquals(null, completed(c.on(new Event.Submit(4, new byte[1], 1)), 4));
        c.on(new Event.Tick());
        assertEquals(Outcome.Kind.NOT_LEADER, completed(c.on(new Event.Tick()), 4),
                "its wait ran out");
        List<Action> a = joinLeader(c);
        List<Message> toLeader = sent(a, N1);
        assertTrue(toLeader.stream().anyMatch(m -> m instanceof Request r && r.requestId() == 2
                && r.waitTicks() > 0), "forwarded once in broadcast: " + toLeader);
        assertTrue(toLeader.stream().anyMatch(m -> m instanceof io.zab.protocol.message
                .SyncRequest s && s.requestId() == 3), "sync forwarded: " + toLeader);
    }

    @Test
    void aLearnerGetsOnlyAWindowOfUnacknowledgedBytesAndNoCommitBeyondWhatItHas() {
        Conversation c = LeaderBroadcastTest.established(tight());
        c.on(new Event.Submit(1, new byte[5]));
        List<Action> a = c.on(new Event.Submit(2, new byte[5]));
        assertEquals(List.of(), sent(a, N2), "5 + 5 bytes exceed the 8-byte window");
        c.persistAll();
        // 3.1 commits with N2's ack; N2 is then sent 3.2, and a COMMIT only up to 3.1.
        a = c.receive(N2, new Ack(z(3, 1)));
        assertEquals(List.of(new Commit(z(3, 1)), new Proposal(new Txn(z(3, 2), new byte[5]),
                null, 0)), sent(a, N2));
        c.receive(N3, new FollowerInfo(2, z(2, 2)));
        c.receive(N3, new AckEpoch(3, 2, z(2, 2)));
        a = c.receive(N3, new AckNewLeader(3, z(3, 2)));
        assertEquals(z(3, 2), c.core.lastCommittedZxid(), "committed by N1 and N3");
        assertEquals(List.of(new Commit(z(3, 2))), sent(a, N2), "N2 has 3.2 now");
    }

    @Test
    void anObserverGetsInformsOnlyWithinItsWindowAndItsAcksOpenIt() {
        CoreConfig cfg = new CoreConfig(N1, Set.of(N1, N2, N3), Set.of(Conversation.N4), 10, 5,
                8, 100, 10, Zxid.MAX_PART, false, 1 << 20, 1 << 20, 8);
        Conversation c = LeaderBroadcastTest.established(cfg);
        c.receive(Conversation.N4, new io.zab.protocol.message.ObserverInfo(2, z(2, 2)));
        c.receive(Conversation.N4, new AckEpoch(3, 2, z(2, 2)));
        c.receive(Conversation.N4, new AckNewLeader(3, z(2, 2)));
        c.on(new Event.Submit(1, new byte[5]));
        c.on(new Event.Submit(2, new byte[5]));
        c.persistAll();
        List<Action> a = c.receive(N2, new Ack(z(3, 1)));
        assertEquals(List.of(new io.zab.protocol.message.Inform(new Txn(z(3, 1), new byte[5]),
                null, 0)), sent(a, Conversation.N4));
        // N2's window held (3,2) back until this ACK; it acks (3,2) once it has it.
        a = c.receive(N2, new Ack(z(3, 2)));
        assertEquals(z(3, 2), c.core.lastCommittedZxid());
        assertEquals(List.of(), sent(a, Conversation.N4), "5 + 5 bytes exceed the 8-byte window");
        a = c.receive(Conversation.N4, new Ack(z(3, 1)));
        assertEquals(List.of(new io.zab.protocol.message.Inform(new Txn(z(3, 2), new byte[5]),
                null, 0)), sent(a, Conversation.N4), "its ACK opened the window");
        assertEquals(z(3, 2), c.core.lastCommittedZxid(), "an observer's ACK never commits");
    }

    /** Follower 2 of leader 1, in broadcast of epoch 1, with nothing logged. */
    private static Conversation following() {
        Conversation c = new Conversation(N2, N1, Conversation.state(0, 0, List.of()));
        joinLeader(c);
        return c;
    }

    private static Conversation following(CoreConfig leaderConfig) {
        CoreConfig cfg = new CoreConfig(N2, leaderConfig.voters(), leaderConfig.observers(),
                leaderConfig.initLimitTicks(), leaderConfig.syncLimitTicks(),
                leaderConfig.maxTxnBytes(), leaderConfig.historyMaxTxns(),
                leaderConfig.proposalsInflightMax(), leaderConfig.zxidCounterMax(), false,
                leaderConfig.historyMaxBytes(), leaderConfig.proposalsInflightMaxBytes(),
                leaderConfig.learnerWindowBytes());
        Conversation c = new Conversation(cfg, N1, Conversation.state(0, 0, List.of()));
        joinLeader(c);
        return c;
    }

    private static List<Action> joinLeader(Conversation c) {
        List<Action> all = new java.util.ArrayList<>();
        all.addAll(c.receive(N1, new LeaderInfo(1)));
        all.addAll(c.persistAll());
        all.addAll(c.receive(N1, new io.zab.protocol.message.Diff(1, Zxid.ZERO)));
        all.addAll(c.receive(N1, new NewLeader(1, Zxid.ZERO)));
        all.addAll(c.persistAll());
        all.addAll(c.receive(N1, new UpToDate(1, Zxid.ZERO)));
        assertTrue(c.core.isBroadcasting(), "following in broadcast");
        return all;
    }
}
