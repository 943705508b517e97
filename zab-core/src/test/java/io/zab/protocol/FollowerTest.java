package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.assertActions;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.send;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.steppedDown;
import static io.zab.protocol.Conversation.txn;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A follower from FOLLOWERINFO to broadcast, and the order of what it makes durable and acks. */
class FollowerTest {
    /** Follower 2 of leader 1, history (2,1..3), acceptedEpoch = currentEpoch = 2. */
    private Conversation follower() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        return c;
    }

    private Conversation afterAckEpoch() {
        Conversation c = follower();
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        return c;
    }

    @Test
    void opensDiscoveryWithItsAcceptedEpochAndLastZxid() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        assertEquals(Role.FOLLOWING, c.core.role());
        // The constructor drained the opening; replay by restarting the conversation.
        Conversation d = new Conversation(N2, N1, state(4, 2, log(new long[] {2, 3})));
        assertEquals(4, d.core.acceptedEpoch());
        assertEquals(z(2, 3), d.core.lastLoggedZxid());
    }

    @Test
    void acksTheEpochOnlyOnceAcceptedEpochIsDurable() {
        Conversation c = follower();
        assertActions(c.receive(N1, new LeaderInfo(3)), new Action.SaveEpoch(1, 3, 2));
        assertActions(c.persistAll(), send(N1, new AckEpoch(3, 2, z(2, 3))));
    }

    /**
     * Seed 601516 (wiped disks): the leader led anew on the same link and proposes a higher
     * epoch before any of the sync stream came; the LEADERINFO acked answered our earlier
     * FOLLOWERINFO. The follower acks the new epoch (it used to ignore it as a duplicate and
     * wait for the sync that would never come).
     */
    @Test
    void acksAHigherEpochProposedBeforeTheSyncStream() {
        Conversation c = afterAckEpoch();
        assertActions(c.receive(N1, new LeaderInfo(4)), new Action.SaveEpoch(2, 4, 2));
        assertActions(c.persistAll(), send(N1, new AckEpoch(4, 2, z(2, 3))));
        assertActions(c.receive(N1, new LeaderInfo(4))); // a true duplicate
    }

    @Test
    void rejectsAnEpochBelowItsAcceptedEpoch() {
        Conversation c = new Conversation(N2, N1, state(5, 2, log(new long[] {2, 3})));
        assertTrue(steppedDown(c.receive(N1, new LeaderInfo(4))));
    }

    /** ZOOKEEPER-3911/4643/4785: txns durable, then currentEpoch durable, then the ACK. */
    @Test
    void acksNewLeaderOnlyAfterTheDiffAndThenCurrentEpochAreDurable() {
        Conversation c = afterAckEpoch();
        assertActions(c.receive(N1, new Diff(3, z(2, 5))));
        assertActions(c.receive(N1, new Proposal(txn(2, 4), null, 0)),
                new Action.AppendTxns(2, List.of(txn(2, 4))));
        c.receive(N1, new Proposal(txn(2, 5), null, 0));
        assertActions(c.receive(N1, new NewLeader(3, z(2, 5))), new Action.SaveEpoch(4, 3, 3));
        assertActions(c.on(new Event.Persisted(3)));
        assertActions(c.on(new Event.Persisted(4)), send(N1, new AckNewLeader(3, z(2, 5))));
    }

    /** ZOOKEEPER-4685/4394: proposals and commits between NEWLEADER and UPTODATE. */
    @Test
    void proposalsDuringSyncAreAckedOnlyAfterNewLeaderAndDeliveredOnlyAfterUpToDate() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        c.receive(N1, new Commit(z(3, 1)));
        List<Action> a = c.persistAll();
        assertActions(a, send(N1, new AckNewLeader(3, z(2, 3))), send(N1, new Ack(z(3, 1))));
        a = c.receive(N1, new UpToDate(3, z(2, 3)));
        assertActions(a, new Action.Deliver(log(new long[] {2, 3}, new long[] {3, 1})));
        assertTrue(c.core.isBroadcasting());
    }

    @Test
    void truncDropsTheSuffixBeforeTheNewTxns() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 5})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        assertActions(c.receive(N1, new Trunc(3, z(2, 3))), new Action.TruncateLog(2, z(2, 3)));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
        c.receive(N1, new NewLeader(3, z(2, 3)));
        assertActions(c.persistAll(), send(N1, new AckNewLeader(3, z(2, 3))));
    }

    /**
     * ZOOKEEPER-3642: the snapshot reaches the state machine only at UPTODATE. Its chunks are
     * written in order and acked once durable; it is installed once all of it is in.
     */
    @Test
    void snapIsInstalledOnDiskFirstAndRestoredAtUpToDate() {
        Conversation c = afterAckEpoch();
        byte[] first = {9, 8};
        byte[] second = {7};
        assertActions(c.receive(N1, new Snap(3, z(2, 9), 3, 42)),
                send(N1, new SnapAck(z(2, 9), 0))); // nothing kept of it: start at 0
        assertActions(c.receive(N1, new SnapChunk(3, z(2, 9), 0, first)),
                new Action.WriteSnapshotChunk(2, z(2, 9), 0, first));
        assertActions(c.persistAll(), send(N1, new SnapAck(z(2, 9), 2)));
        assertActions(c.receive(N1, new SnapChunk(3, z(2, 9), 2, second)),
                new Action.WriteSnapshotChunk(3, z(2, 9), 2, second),
                new Action.InstallSnapshot(4, z(2, 9), 3, 42));
        c.receive(N1, new NewLeader(3, z(2, 9)));
        List<Action> a = c.persistAll();
        assertTrue(a.contains(send(N1, new SnapAck(z(2, 9), 3))), a.toString());
        a = c.receive(N1, new UpToDate(3, z(2, 9)));
        assertActions(a, new Action.RestoreSnapshot(z(2, 9)));
        assertEquals(z(2, 9), c.core.lastDeliveredZxid());
    }

    /**
     * The link breaks in the middle of a SNAP: the next SNAP of the same snapshot resumes after
     * what was acknowledged durable, and the store cuts anything written beyond it. A SNAP of
     * another snapshot starts over at 0.
     */
    @Test
    void aBrokenSnapResumesAfterWhatIsDurable() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Snap(3, z(2, 9), 5, 42));
        c.receive(N1, new SnapChunk(3, z(2, 9), 0, new byte[] {1, 2}));
        assertActions(c.persistAll(), send(N1, new SnapAck(z(2, 9), 2)));
        c.receive(N1, new SnapChunk(3, z(2, 9), 2, new byte[] {3})); // written, not yet durable
        assertTrue(steppedDown(c.on(new Event.PeerDisconnected(N1))));
        followAgain(c, 4);

        assertActions(c.receive(N1, new Snap(4, z(2, 9), 5, 42)),
                send(N1, new SnapAck(z(2, 9), 2)));
        long seq = c.core.issuedSeq();
        byte[] rest = {3, 4, 5};
        assertActions(c.receive(N1, new SnapChunk(4, z(2, 9), 2, rest)),
                new Action.WriteSnapshotChunk(seq + 1, z(2, 9), 2, rest),
                new Action.InstallSnapshot(seq + 2, z(2, 9), 5, 42));
    }

    /**
     * Random simulation seed 201367 (membership changes): the chunks of a SNAP became durable
     * only after the install had gone out with the last of them, and their acks recorded the
     * snapshot as received up to its end. The install had consumed what was received, so when
     * the next leader sent SNAP of the same snapshot the follower resumed at its end, asked to
     * install a file that was gone, and its storage failed. An installed snapshot is never
     * resumed: the next SNAP of it starts over at 0.
     */
    @Test
    void aSnapReceivedWholeAndInstalledIsNotResumedByTheNextSnap() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Snap(3, z(2, 9), 3, 42));
        c.receive(N1, new SnapChunk(3, z(2, 9), 0, new byte[] {1, 2}));
        byte[] last = {3};
        assertActions(c.receive(N1, new SnapChunk(3, z(2, 9), 2, last)),
                new Action.WriteSnapshotChunk(3, z(2, 9), 2, last),
                new Action.InstallSnapshot(4, z(2, 9), 3, 42));
        List<Action> a = c.persistAll(); // the chunks are durable after the install went out
        assertTrue(a.contains(send(N1, new SnapAck(z(2, 9), 3))), a.toString());
        assertTrue(steppedDown(c.on(new Event.PeerDisconnected(N1))));
        followAgain(c, 4);

        assertActions(c.receive(N1, new Snap(4, z(2, 9), 3, 42)),
                send(N1, new SnapAck(z(2, 9), 0)));
    }

    @Test
    void aSnapOfAnotherSnapshotStartsOver() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Snap(3, z(2, 9), 5, 42));
        c.receive(N1, new SnapChunk(3, z(2, 9), 0, new byte[] {1, 2}));
        c.persistAll();
        c.on(new Event.PeerDisconnected(N1));
        followAgain(c, 4);
        assertActions(c.receive(N1, new Snap(4, z(2, 10), 5, 43)),
                send(N1, new SnapAck(z(2, 10), 0)));
    }

    /** After losing its leader, the follower finds it again and acks its new epoch. */
    private static void followAgain(Conversation c, long epoch) {
        c.persistAll();
        for (int i = 0; i < 3 && !(c.core.role() == Role.FOLLOWING); i++) {
            c.on(new Event.Tick());
        }
        assertEquals(Role.FOLLOWING, c.core.role());
        c.receive(N1, new LeaderInfo(epoch));
        c.persistAll();
    }

    @Test
    void aSnapChunkOutOfPlaceRestartsTheSync() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Snap(3, z(2, 9), 3, 42));
        assertTrue(Conversation.steppedDown(c.receive(N1, new SnapChunk(3, z(2, 9), 1,
                new byte[] {1}))), "a chunk must start where the last ended");
    }

    @Test
    void deliversOnlyWhatIsBothCommittedAndDurable() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.persistAll();
        c.receive(N1, new UpToDate(3, z(2, 3)));
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        assertActions(c.receive(N1, new Commit(z(3, 1)))); // not durable here yet
        assertActions(c.persistAll(), send(N1, new Ack(z(3, 1))),
                new Action.Deliver(List.of(txn(3, 1))));
    }

    @Test
    void forwardsWritesAndBindsThemWhenItsProposalArrives() {
        Conversation c = broadcasting();
        byte[] payload = {1};
        assertActions(c.on(new Event.Submit(42, payload)), send(N1, new Request(42, payload)));
        List<Action> a = c.receive(N1, new Proposal(txn(3, 1), N2, 42));
        assertEquals(new Action.RequestProposed(42, z(3, 1)), a.get(1));
    }

    private Conversation broadcasting() {
        Conversation c = afterAckEpoch();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.persistAll();
        c.receive(N1, new UpToDate(3, z(2, 3)));
        return c;
    }

    @Test
    void answersPingsAndLeavesASilentLeaderAfterSyncLimit() {
        Conversation c = broadcasting();
        assertActions(c.receive(N1, new Ping(3, 7)), send(N1, new PingAck(3, 7)));
        for (int i = 0; i < c.core.config().syncLimitTicks(); i++) {
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        assertTrue(steppedDown(c.on(new Event.Tick())));
    }

    /** A sync the leader refuses completes at once as NOT_LEADER, not at its deadline. */
    @Test
    void aRefusedSyncCompletesAsNotLeader() {
        Conversation c = broadcasting();
        assertActions(c.on(new Event.SyncRead(9, 10)),
                send(N1, new io.zab.protocol.message.SyncRequest(9)));
        List<Action> a = c.receive(N1, new io.zab.protocol.message.RequestRefused(9,
                io.zab.protocol.message.RequestRefused.Reason.NOT_LEADER));
        assertEquals(1, a.size(), a.toString());
        Action.Complete done = (Action.Complete) a.get(0);
        assertEquals(9, done.requestId());
        assertEquals(Outcome.Kind.NOT_LEADER, done.outcome().kind(), a.toString());
        assertActions(c.receive(N1, new io.zab.protocol.message.SyncReply(9, z(2, 3))));
    }

    /**
     * In broadcast the status tells how far this node's deliveries are behind the commit point the
     * leader's latest PING carried; a PING of an older epoch leaves it as it was.
     */
    @Test
    void itsStatusSaysHowFarBehindTheLeadersLastPingItIs() {
        Conversation c = broadcasting();
        assertTrue(c.core.describe().endsWith("in broadcast, up to date with the leader's commit"
                + " point at its last PING"), c.core.describe());
        c.receive(N1, new Ping(3, 1, z(3, 2)));
        assertTrue(c.core.describe().contains("2 txns behind"), c.core.describe());
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        c.receive(N1, new Commit(z(3, 1)));
        c.persistAll();
        assertTrue(c.core.describe().contains(", 1 txns behind"), c.core.describe());
        c.receive(N1, new Ping(3, 2, z(3, 1)));
        assertTrue(c.core.describe().contains(", 1 txns behind"),
                "a PING that overtook COMMITs does not move the point back: " + c.core.describe());
        c.receive(N1, new Proposal(txn(3, 2), null, 0));
        c.receive(N1, new Commit(z(3, 2)));
        c.persistAll();
        assertTrue(c.core.describe().contains("up to date"), c.core.describe());
    }

    /**
     * Messages from the leader that arrived but wait behind others in the inbox count as word
     * from it: a follower busy with its own backlog does not leave a leader that keeps sending.
     * Messages from anyone else do not count.
     */
    @Test
    void messagesHeardFromTheLeaderButNotYetHandledKeepItsLeader() {
        Conversation c = broadcasting();
        int limit = c.core.config().syncLimitTicks();
        for (int i = 0; i < 3 * limit; i++) {
            c.on(new Event.Heard(java.util.Set.of(N1)));
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        for (int i = 1; i < limit; i++) { // the last Heard counts from the tick after it
            c.on(new Event.Heard(java.util.Set.of(Conversation.N3)));
            assertFalse(steppedDown(c.on(new Event.Tick())));
        }
        assertTrue(steppedDown(c.on(new Event.Tick())));
    }

    @Test
    void aFollowerInfoOpensEveryNewAttempt() {
        Conversation c = broadcasting();
        List<Action> a = c.on(new Event.PeerDisconnected(N1));
        assertTrue(steppedDown(a));
        assertTrue(Conversation.sent(a, N1).contains(new FollowerInfo(3, z(2, 3))), a.toString());
    }
}
