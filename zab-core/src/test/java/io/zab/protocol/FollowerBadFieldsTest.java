package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.txn;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapChunk;
import io.zab.protocol.message.SyncReply;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Issue 18: every field a leader sends a follower has a defined outcome. A value no honest
 * leader can send is rejected: it has no effect on the follower's history, epochs or delivered
 * state, the connection to that leader is closed ({@link Action.Disconnect}) and the follower
 * looks for a leader again; nothing halts it, and an honest leader syncs it afterwards.
 */
class FollowerBadFieldsTest {
    private static final int EMPTY_CRC = (int) new CRC32C().getValue();

    /** N2 follows N1 in epoch 3 and has delivered (2,1)..(2,3). */
    private static Conversation broadcastingFollower() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.persistAll();
        c.receive(N1, new UpToDate(3, z(2, 3)));
        assertEquals(z(2, 3), c.core.lastDeliveredZxid());
        return c;
    }

    /**
     * The broadcasting follower lost its leader and found it again at epoch 4: it acked the
     * epoch and waits for its sync.
     */
    private static Conversation resyncing(Conversation c) {
        c.on(new Event.PeerDisconnected(N1));
        assertEquals(Role.FOLLOWING, c.core.role());
        c.receive(N1, new LeaderInfo(4));
        List<Action> a = c.persistAll();
        assertTrue(sent(a, N1).contains(new AckEpoch(4, 3, c.core.lastLoggedZxid())),
                a.toString());
        return c;
    }

    private static void assertRejected(Conversation c, List<Action> actions) {
        assertTrue(Conversation.only(actions, Action.Disconnect.class).stream()
                .anyMatch(d -> d.peer().equals(N1)), "rejected: " + actions);
        assertTrue(Conversation.steppedDown(actions), "stops following that leader");
        assertTrue(Conversation.only(actions, Action.TruncateLog.class).isEmpty());
        assertTrue(Conversation.only(actions, Action.InstallSnapshot.class).isEmpty());
        assertTrue(Conversation.only(actions, Action.Deliver.class).isEmpty());
        assertTrue(sent(actions, N1).stream().noneMatch(m -> m instanceof AckNewLeader
                || m instanceof Ack || m instanceof AckEpoch));
    }

    /** After a rejection an honest leader syncs the follower by DIFF. */
    private static void honestLeaderSyncs(Conversation c, long epoch) {
        c.on(new Event.PeerDisconnected(N1));
        Zxid last = c.core.lastLoggedZxid();
        c.receive(N1, new LeaderInfo(epoch));
        c.persistAll();
        c.receive(N1, new Diff(epoch, last));
        c.receive(N1, new NewLeader(epoch, last));
        List<Action> a = c.persistAll();
        assertTrue(sent(a, N1).contains(new AckNewLeader(epoch, last)), a.toString());
        c.receive(N1, new UpToDate(epoch, last));
        assertTrue(c.core.isBroadcasting());
    }

    // ---- LEADERINFO ----

    @Test
    void leaderInfoWithTheTopEpochIsRejected() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        assertRejected(c, c.receive(N1, new LeaderInfo(Zxid.MAX_PART)));
        assertEquals(2, c.core.acceptedEpoch(), "not saved");
        honestLeaderSyncs(c, 3);
    }

    /** A leader proposes above the acceptedEpoch we told it; the same one means a re-sync. */
    @Test
    void leaderInfoBelowOurAcceptedEpochIsTheProtocolsRestartNotARejection() {
        Conversation c = new Conversation(N2, N1, state(5, 2, log(new long[] {2, 3})));
        List<Action> a = c.receive(N1, new LeaderInfo(4));
        assertTrue(Conversation.steppedDown(a));
        assertTrue(Conversation.only(a, Action.Disconnect.class).isEmpty());
    }

    // ---- TRUNC ----

    /** A leader never truncates committed txns: this one would undo delivered ones. */
    @Test
    void truncBelowWhatWasDeliveredIsRejectedWithoutHalting() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Trunc(4, z(2, 1))));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
        assertEquals(z(2, 3), c.core.lastCommittedZxid());
        assertEquals(z(2, 3), c.core.lastDeliveredZxid());
        honestLeaderSyncs(c, 5);
    }

    @Test
    void truncBelowOurSnapshotIsRejected() {
        Conversation c = new Conversation(N2, N1,
                new PersistentState(2, 2, z(2, 2), log(new long[] {2, 3}).subList(2, 3)));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        assertRejected(c, c.receive(N1, new Trunc(3, z(2, 1))));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
    }

    /** The boundary: an uncommitted suffix above the committed zxid may be cut. */
    @Test
    void truncToTheCommittedZxidIsObeyed() {
        Conversation c = broadcastingFollower();
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        resyncing(c);
        List<Action> a = c.receive(N1, new Trunc(4, z(2, 3)));
        assertTrue(Conversation.only(a, Action.Disconnect.class).isEmpty());
        assertEquals(1, Conversation.only(a, Action.TruncateLog.class).size());
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
    }

    @Test
    void truncToAZxidOfALaterEpochThanTheLeadersIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Trunc(4, z(7, 1))));
    }

    // ---- SNAP ----

    /**
     * Every txn we hold is committed, so an honest leader has our last zxid and would DIFF:
     * a SNAP older than it would roll back what we delivered.
     */
    @Test
    void snapOlderThanOurCommittedHistoryIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Snap(4, z(2, 1), 0, EMPTY_CRC)));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
        honestLeaderSyncs(c, 5);
        assertEquals(z(2, 3), c.core.lastDeliveredZxid(), "nothing rolled back");
    }

    /** The stream after a SNAP must reach back to what we committed. */
    @Test
    void newLeaderBelowOurCommittedZxidIsRejected() {
        Conversation c = broadcastingFollower();
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        resyncing(c);
        c.receive(N1, new Snap(4, z(2, 1), 0, EMPTY_CRC)); // honest so far: (3,1) is ours alone
        assertRejected(c, c.receive(N1, new NewLeader(4, z(2, 1))));
    }

    @Test
    void snapAtAZxidOfALaterEpochIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Snap(4, z(6, 1), 0, EMPTY_CRC)));
    }

    @Test
    void aSnapChunkOutOfPlaceIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new SnapChunk(4, z(2, 3), 0, new byte[] {1})));
    }

    // ---- DIFF, NEWLEADER, PROPOSAL, COMMIT, UPTODATE, SYNCREPLY out of place ----

    @Test
    void diffNotReachingOurLastZxidIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Diff(4, z(2, 1))));
    }

    @Test
    void diffForAnotherEpochIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        assertRejected(c, c.receive(N1, new Diff(9, z(2, 3))));
    }

    @Test
    void aProposalBeforeNewLeaderIsRejected() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        assertRejected(c, c.receive(N1, new Proposal(txn(2, 4), null, 0)));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
    }

    @Test
    void newLeaderWithAnotherEpochThanTheOneAckedIsRejected() {
        Conversation c = resyncing(broadcastingFollower());
        c.receive(N1, new Diff(4, z(2, 3)));
        assertRejected(c, c.receive(N1, new NewLeader(5, z(2, 3))));
        assertEquals(3, c.core.currentEpoch(), "currentEpoch not moved");
    }

    @Test
    void aCommitForAZxidNeverProposedIsRejected() {
        Conversation c = broadcastingFollower();
        assertRejected(c, c.receive(N1, new Commit(z(3, 5))));
        assertEquals(z(2, 3), c.core.lastCommittedZxid());
    }

    @Test
    void aCommitOfAnotherEpochIsRejected() {
        Conversation c = broadcastingFollower();
        assertRejected(c, c.receive(N1, new Commit(z(2, 2))));
    }

    @Test
    void aProposalOfALaterEpochIsRejected() {
        Conversation c = broadcastingFollower();
        assertRejected(c, c.receive(N1, new Proposal(txn(4, 1), null, 0)));
    }

    @Test
    void anInformToAFollowerIsRejected() {
        Conversation c = broadcastingFollower();
        assertRejected(c, c.receive(N1, new Inform(txn(3, 1), null, 0)));
    }

    @Test
    void aSecondUpToDateIsRejected() {
        Conversation c = broadcastingFollower();
        assertRejected(c, c.receive(N1, new UpToDate(3, z(2, 3))));
    }

    @Test
    void upToDateOfALaterEpochIsRejected() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.persistAll();
        assertRejected(c, c.receive(N1, new UpToDate(3, z(5, 1))));
    }

    @Test
    void aSyncReplyBeyondTheLeadersEpochIsRejected() {
        Conversation c = broadcastingFollower();
        c.on(new Event.SyncRead(7));
        assertRejected(c, c.receive(N1, new SyncReply(7, z(8, 1))));
    }

    @Test
    void aSyncReplyOfAnEarlierConversationIsIgnored() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        assertEquals(List.of(), c.receive(N1, new SyncReply(7, z(2, 3))));
        assertEquals(Role.FOLLOWING, c.core.role());
    }

    /** UPTODATE from a node that is not our leader: a deposed leader's stream still landing. */
    @Test
    void upToDateFromANonLeaderIsIgnored() {
        Conversation c = broadcastingFollower();
        assertEquals(List.of(), c.receive(N3, new UpToDate(9, z(9, 9))));
        assertTrue(c.core.isBroadcasting());
    }

    /** What only a learner sends, coming from our leader once it opened with LEADERINFO. */
    @Test
    void aMessageOnlyALearnerSendsIsRejectedFromTheLeader() {
        for (Message m : List.of(new Ack(z(3, 1)), new AckEpoch(3, 3, z(2, 3)),
                new AckNewLeader(3, z(2, 3)),
                new PingAck(3, 1), new Request(1, new byte[0]))) {
            Conversation c = broadcastingFollower();
            assertRejected(c, c.receive(N1, m));
        }
    }

    /** Our leader stepped down and an election chose us: it may follow us before we notice. */
    @Test
    void followerInfoFromTheLeaderIsARestartNotARejection() {
        Conversation c = broadcastingFollower();
        List<Action> a = c.receive(N1, new FollowerInfo(3, z(2, 3)));
        assertTrue(Conversation.steppedDown(a));
        assertTrue(Conversation.only(a, Action.Disconnect.class).isEmpty());
    }

    /**
     * Before LEADERINFO the leader may be a node that followed us a moment ago: its last ACKs
     * to us can still be on the way, so they are ignored, not rejected.
     */
    @Test
    void aLearnerMessageFromTheLeaderBeforeItsLeaderInfoIsIgnored() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        List<Action> a = c.receive(N1, new Ack(z(2, 3)));
        assertEquals(List.of(), a);
        assertEquals(Role.FOLLOWING, c.core.role());
        assertFalse(Conversation.steppedDown(c.receive(N1, new Ping(3, 1))));
    }
}
