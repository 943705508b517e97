package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.N4;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.steppedDown;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
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
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 18: every field a learner sends the leader has a defined outcome. A value no honest
 * learner can send is rejected: the message has no effect, the connection is closed
 * ({@link Action.Disconnect}), and the leader keeps leading and serving everyone else.
 */
class LeaderBadFieldsTest {
    private static final long TOP = Zxid.MAX_PART;

    /** Leader N1 at epoch 2 with txns (2,1), (2,2); nothing received yet. */
    private static Conversation leader() {
        return new Conversation(N1, N1, state(2, 2, log(new long[] {2, 2})));
    }

    /** The leader of epoch 3, established with N2; N3 and observer N4 not connected. */
    private static Conversation broadcastingLeader() {
        Conversation c = leader();
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new AckEpoch(3, 2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new AckNewLeader(3, z(2, 2)));
        c.persistAll();
        assertTrue(c.core.isBroadcasting());
        return c;
    }

    private static void assertRejected(List<Action> actions, PeerId peer) {
        assertTrue(actions.contains(disconnect(actions, peer)), "rejected: " + actions);
        assertFalse(steppedDown(actions), "still leading: " + actions);
    }

    private static Action disconnect(List<Action> actions, PeerId peer) {
        return Conversation.only(actions, Action.Disconnect.class).stream()
                .filter(d -> d.peer().equals(peer)).findFirst().orElse(null);
    }

    private static boolean hasDisconnect(List<Action> actions) {
        return !Conversation.only(actions, Action.Disconnect.class).isEmpty();
    }

    /** N3 joins the established leader and is synced: the leader still serves learners. */
    private static void lateFollowerJoins(Conversation c) {
        c.receive(N3, new FollowerInfo(3, z(2, 2)));
        List<Action> a = c.receive(N3, new AckEpoch(3, 3, z(2, 2)));
        assertTrue(sent(a, N3).contains(new Diff(3, c.core.lastLoggedZxid())), a.toString());
        assertFalse(hasDisconnect(a));
    }

    // ---- FOLLOWERINFO / OBSERVERINFO ----

    @Test
    void followerInfoWithTheTopEpochIsRejectedAndDiscoveryGoesOn() {
        Conversation c = leader();
        assertRejected(c.receive(N2, new FollowerInfo(TOP, z(2, 2))), N2);
        assertEquals(Role.LEADING, c.core.role());
        List<Action> a = c.receive(N3, new FollowerInfo(2, z(2, 2)));
        assertEquals(List.of(new Action.SaveEpoch(c.lastSeq(), 3, 2)),
                Conversation.only(a, Action.SaveEpoch.class), "epoch 3 from the honest quorum");
        assertTrue(sent(c.persistAll(), N3).contains(new LeaderInfo(3)));
    }

    /** Proposing 0xFFFFFFFF would leave no epoch for any later leader. */
    @Test
    void followerInfoWithTheEpochBelowTheTopIsRejected() {
        Conversation c = leader();
        assertRejected(c.receive(N2, new FollowerInfo(TOP - 1, z(2, 2))), N2);
        c.receive(N3, new FollowerInfo(2, z(2, 2)));
        assertEquals(3, c.core.acceptedEpoch());
    }

    @Test
    void observerInfoWithTheTopEpochIsRejected() {
        Conversation c = leader();
        assertRejected(c.receive(N4, new ObserverInfo(TOP, z(2, 2))), N4);
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        assertEquals(3, c.core.acceptedEpoch());
    }

    @Test
    void aLateFollowerInfoWithTheTopEpochIsRejectedInBroadcast() {
        Conversation c = broadcastingLeader();
        assertRejected(c.receive(N3, new FollowerInfo(TOP, z(2, 2))), N3);
        lateFollowerJoins(c);
    }

    @Test
    void followerInfoWhoseLastZxidIsOfAnEpochItNeverAcceptedIsRejected() {
        Conversation c = leader();
        assertRejected(c.receive(N2, new FollowerInfo(2, z(5, 1))), N2);
    }

    /**
     * A member asking for another role than ours gives it is honest when it knows a
     * membership we do not (issue 17): it learns in that role but counts only as our quorum
     * says, so an observer acting as a follower never makes a quorum.
     */
    @Test
    void aLearnerInAnotherRoleLearnsButCountsOnlyAsOurQuorumSays() {
        Conversation c = leader();
        List<Action> a = c.receive(N4, new FollowerInfo(2, z(2, 2)));
        assertTrue(a.stream().noneMatch(x -> x instanceof Action.Disconnect), a.toString());
        assertEquals(2, c.core.acceptedEpoch(), "N4 is no voter: no quorum, no epoch yet");
        c.receive(N3, new FollowerInfo(2, z(2, 2)));
        assertEquals(3, c.core.acceptedEpoch(), "discovery goes on with a voter");
    }

    // ---- ACKEPOCH ----

    /** An observer holds only committed txns: it is never ahead of a leader the voters chose. */
    @Test
    void anObserverAheadInAckEpochDoesNotDeposeTheLeader() {
        Conversation c = leader();
        c.receive(N4, new ObserverInfo(2, z(2, 2)));
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        assertRejected(c.receive(N4, new AckEpoch(3, 2, z(2, 9))), N4);
        List<Action> a = c.receive(N2, new AckEpoch(3, 2, z(2, 2)));
        assertTrue(sent(a, N2).contains(new Diff(3, z(2, 2))), a.toString());
    }

    /** A learner saves the epoch before ACKEPOCH: its currentEpoch cannot be above it. */
    @Test
    void ackEpochWithACurrentEpochAboveTheEpochIsRejectedInBroadcast() {
        Conversation c = broadcastingLeader();
        c.receive(N3, new FollowerInfo(3, z(2, 2)));
        assertRejected(c.receive(N3, new AckEpoch(3, 4, z(2, 2))), N3);
        assertTrue(c.core.isBroadcasting());
        lateFollowerJoins(c);
    }

    @Test
    void ackEpochWithACurrentEpochAboveTheEpochIsRejectedInDiscovery() {
        Conversation c = leader();
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        assertRejected(c.receive(N2, new AckEpoch(3, 7, z(2, 2))), N2);
    }

    @Test
    void ackEpochForAnotherEpochIsRejected() {
        Conversation c = leader();
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        assertRejected(c.receive(N2, new AckEpoch(9, 2, z(2, 2))), N2);
    }

    @Test
    void ackEpochWhoseLastZxidIsAboveTheEpochIsRejected() {
        Conversation c = leader();
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        assertRejected(c.receive(N2, new AckEpoch(3, 2, z(4, 1))), N2);
    }

    /** A follower ahead in discovery is the protocol's own case: the leader steps down. */
    @Test
    void aFollowerAheadInDiscoveryStillDeposesTheLeader() {
        Conversation c = leader();
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        List<Action> a = c.receive(N2, new AckEpoch(3, 2, z(2, 5)));
        assertTrue(steppedDown(a));
        assertFalse(hasDisconnect(a));
    }

    // ---- ACK, ACKNEWLEADER, PINGACK, other types ----

    @Test
    void anAckAboveAnythingProposedIsRejected() {
        Conversation c = broadcastingLeader();
        c.on(new Event.Submit(1, new byte[] {1}));
        assertRejected(c.receive(N2, new Ack(z(3, 7))), N2);
        assertEquals(z(2, 2), c.core.lastCommittedZxid(), "nothing committed by it");
    }

    @Test
    void anAckOfAnotherEpochIsRejected() {
        Conversation c = broadcastingLeader();
        assertRejected(c.receive(N2, new Ack(z(9, 1))), N2);
    }

    @Test
    void anAckNewLeaderOutOfPlaceIsRejected() {
        Conversation c = broadcastingLeader();
        assertRejected(c.receive(N2, new AckNewLeader(3, z(2, 2))), N2);
        lateFollowerJoins(c);
    }

    /** A PINGACK for a round never pinged would vouch for sync() calls still to come. */
    @Test
    void aPingAckForARoundNeverSentIsRejected() {
        Conversation c = broadcastingLeader();
        assertRejected(c.receive(N2, new PingAck(3, 1_000_000)), N2);
    }

    @Test
    void aMessageOnlyALeaderSendsIsRejectedFromALearner() {
        for (Message m : List.of(new Commit(z(3, 1)), new LeaderInfo(3),
                new Proposal(Conversation.txn(3, 1), null, 0), new NewLeader(3, z(2, 2)),
                new UpToDate(3, z(2, 2)))) {
            Conversation c = broadcastingLeader();
            assertRejected(c.receive(N2, m), N2);
        }
    }

    // ---- SNAPACK ----

    /** N3 is behind the history kept in memory: it gets SNAP of the snapshot at (2,2). */
    private static Conversation snapSending() {
        Conversation c = new Conversation(N1, N1,
                new PersistentState(2, 2, z(2, 2), List.of()));
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new AckEpoch(3, 2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new AckNewLeader(3, z(2, 2)));
        c.persistAll();
        c.receive(N3, new FollowerInfo(2, z(2, 1)));
        c.receive(N3, new AckEpoch(3, 2, z(2, 1)));
        List<Action> a = c.on(new Event.SnapshotReady(N3, z(2, 2), 100, 7));
        assertTrue(sent(a, N3).contains(new Snap(3, z(2, 2), 100, 7, Conversation.MEMBERS)), a.toString());
        return c;
    }

    @Test
    void aSnapAckBeyondTheSnapshotIsRejected() {
        Conversation c = snapSending();
        assertRejected(c.receive(N3, new SnapAck(z(2, 2), 101)), N3);
    }

    @Test
    void aSnapAckBeforeTheStartIsRejected() {
        Conversation c = snapSending();
        assertRejected(c.receive(N3, new SnapAck(z(2, 2), -1)), N3);
    }

    @Test
    void aSnapAckOfAnotherSnapshotIsRejected() {
        Conversation c = snapSending();
        assertRejected(c.receive(N3, new SnapAck(z(2, 1), 0)), N3);
    }

    @Test
    void aSnapAckOfDataNeverSentIsRejected() {
        Conversation c = snapSending();
        List<Action> a = c.receive(N3, new SnapAck(z(2, 2), 0));
        assertFalse(hasDisconnect(a));
        assertRejected(c.receive(N3, new SnapAck(z(2, 2), 50)), N3);
    }

    // ---- logging ----

    /**
     * After a rejection the learner is forgotten: what else comes on that connection is
     * ignored, and once it broke the peer starts over like any other.
     */
    @Test
    void aRejectedLearnerIsForgottenUntilItStartsOver() {
        Conversation c = broadcastingLeader();
        assertRejected(c.receive(N2, new Ack(z(9, 1))), N2);
        assertEquals(List.of(), c.receive(N2, new Ack(z(9, 2))));
        assertEquals(1, c.core.rejectedMessages());
        c.on(new Event.PeerDisconnected(N2));
        c.receive(N2, new FollowerInfo(3, z(2, 2)));
        List<Action> a = c.receive(N2, new AckEpoch(3, 3, z(2, 2)));
        assertTrue(sent(a, N2).contains(new Diff(3, z(2, 2))), a.toString());
    }
}
