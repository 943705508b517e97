package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.N4;
import static io.zab.protocol.Conversation.assertActions;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.send;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.txn;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Synchronization as the leader sees it: the DIFF/TRUNC/SNAP choice and NEWLEADER. */
class LeaderSynchronizationTest {
    /** Leader 1 with history (1,1..3)(2,1..5), currentEpoch 2; N2 opened discovery. */
    private Conversation leaderAfterEpoch(Zxid followerLast, long followerEpoch) {
        Conversation c = new Conversation(N1, N1,
                state(2, 2, log(new long[] {1, 3}, new long[] {2, 5})));
        c.receive(N2, new FollowerInfo(followerEpoch, followerLast));
        c.persistAll();
        return c;
    }

    @Test
    void diffSendsTheMissingTxnsThenNewLeader() {
        Conversation c = leaderAfterEpoch(z(2, 3), 2);
        List<Action> a = c.receive(N2, new AckEpoch(3, 2, z(2, 3)));
        assertActions(a, new Action.SaveEpoch(2, 3, 3),
                send(N2, new Diff(3, z(2, 5))),
                send(N2, new Proposal(txn(2, 4), null, 0)),
                send(N2, new Proposal(txn(2, 5), null, 0)),
                send(N2, Conversation.newLeader(3, z(2, 5))));
    }

    @Test
    void aLearnerUpToDateGetsAnEmptyDiff() {
        Conversation c = leaderAfterEpoch(z(2, 5), 2);
        assertActions(c.receive(N2, new AckEpoch(3, 2, z(2, 5))), new Action.SaveEpoch(2, 3, 3),
                send(N2, new Diff(3, z(2, 5))), send(N2, Conversation.newLeader(3, z(2, 5))));
    }

    @Test
    void truncCutsTheLearnersUncommittedSuffixInTheSameEpoch() {
        Conversation c = leaderAfterEpoch(z(1, 7), 1);
        List<Action> a = c.receive(N2, new AckEpoch(3, 1, z(1, 7)));
        assertEquals(List.of(send(N2, new Trunc(3, z(1, 3))),
                send(N2, new Proposal(txn(2, 1), null, 0))), a.subList(1, 3));
        assertEquals(send(N2, Conversation.newLeader(3, z(2, 5))), a.get(a.size() - 1));
    }

    /**
     * ZOOKEEPER-1154: the learner's last zxid (1,4) lies numerically inside our window but is not
     * in our history (we have (1,1..3) then epoch 2); a DIFF would leave (1,4) in place.
     */
    @Test
    void aZxidInsideTheWindowButAbsentIsTruncated() {
        Conversation c = leaderAfterEpoch(z(1, 4), 1);
        List<Action> a = c.receive(N2, new AckEpoch(3, 1, z(1, 4)));
        assertEquals(send(N2, new Trunc(3, z(1, 3))), a.get(1));
    }

    @Test
    void anUnprovableCommonPointGetsSnap() {
        Conversation c = leaderAfterEpoch(z(0, 0), 0);
        // Our history starts at ZERO, so an empty learner gets a DIFF of everything ...
        assertEquals(send(N2, new Diff(3, z(2, 5))),
                c.receive(N2, new AckEpoch(3, 0, Zxid.ZERO)).get(1));
        // ... but a learner in an epoch we have no txn of cannot be cut safely.
        Conversation d = new Conversation(N1, N1, state(3, 3,
                log(new long[] {1, 3}, new long[] {3, 2})));
        d.receive(N2, new FollowerInfo(2, z(2, 9)));
        d.persistAll();
        List<Action> a = d.receive(N2, new AckEpoch(4, 2, z(2, 9)));
        assertEquals(new Action.TakeSnapshot(N2), a.get(1));
        byte[] snapshot = {1, 2, 3};
        assertActions(d.on(new Event.SnapshotReady(N2, z(3, 1), 3, 77)),
                send(N2, new Snap(4, z(3, 1), 3, 77, Conversation.MEMBERS)));
        assertActions(d.receive(N2, new SnapAck(z(3, 1), 0)),
                new Action.ReadSnapshotChunk(N2, z(3, 1), 0, 3));
        assertActions(d.on(new Event.SnapshotChunk(N2, z(3, 1), 0, snapshot)),
                send(N2, new SnapChunk(4, z(3, 1), 0, snapshot)),
                send(N2, new Proposal(txn(3, 2), null, 0)),
                send(N2, Conversation.newLeader(4, z(3, 2))));
    }

    /** A learner that kept part of this snapshot from a broken transfer gets only the rest. */
    @Test
    void aSnapResumesWhereTheLearnerSays() {
        Conversation d = new Conversation(N1, N1, state(3, 3,
                log(new long[] {1, 3}, new long[] {3, 2})));
        d.receive(N2, new FollowerInfo(2, z(2, 9)));
        d.persistAll();
        d.receive(N2, new AckEpoch(4, 2, z(2, 9)));
        d.on(new Event.SnapshotReady(N2, z(3, 1), 600_000, 77));
        List<Action> a = d.receive(N2, new SnapAck(z(3, 1), 300_000));
        Action.ReadSnapshotChunk first = Conversation.only(a, Action.ReadSnapshotChunk.class)
                .get(0);
        assertEquals(300_000, first.offset(), "the first chunk read starts where it said");
        assertEquals(600_000, Conversation.only(a, Action.ReadSnapshotChunk.class).stream()
                .mapToLong(r -> r.offset() + r.length()).max().orElseThrow());
    }

    /** Under a rate limit the leader reads about one tick's bytes per tick for a transfer. */
    @Test
    void aSnapRateLimitSpreadsTheReadsOverTicks() {
        int chunk = 256 << 10;
        CoreConfig cfg = CoreConfig.of(N1, java.util.Set.of(N1, N2, N3), java.util.Set.of())
                .withSnapBytesPerTick(chunk);
        Conversation d = new Conversation(cfg, N1, state(3, 3,
                log(new long[] {1, 3}, new long[] {3, 2})));
        d.receive(N2, new FollowerInfo(2, z(2, 9)));
        d.persistAll();
        d.receive(N2, new AckEpoch(4, 2, z(2, 9)));
        d.on(new Event.SnapshotReady(N2, z(3, 1), 3L * chunk, 77));
        assertEquals(1, Conversation.only(d.receive(N2, new SnapAck(z(3, 1), 0)),
                Action.ReadSnapshotChunk.class).size(), "one tick's bytes");
        assertEquals(List.of(new Action.ReadSnapshotChunk(N2, z(3, 1), chunk, chunk)),
                Conversation.only(d.on(new Event.Tick()), Action.ReadSnapshotChunk.class));
        assertEquals(List.of(new Action.ReadSnapshotChunk(N2, z(3, 1), 2L * chunk, chunk)),
                Conversation.only(d.on(new Event.Tick()), Action.ReadSnapshotChunk.class));
        assertEquals(List.of(), Conversation.only(d.on(new Event.Tick()),
                Action.ReadSnapshotChunk.class), "all of it asked for");
    }

    /** A snapshot that cannot be taken or read drops the learner at once; it syncs again. */
    @Test
    void aFailedSnapshotDropsTheLearnerInsteadOfLeavingItWaiting() {
        Conversation d = new Conversation(N1, N1, state(3, 3,
                log(new long[] {1, 3}, new long[] {3, 2})));
        d.receive(N2, new FollowerInfo(2, z(2, 9)));
        d.persistAll();
        d.receive(N2, new AckEpoch(4, 2, z(2, 9)));
        assertFalse(Conversation.sent(d.on(new Event.Tick()), N2).isEmpty(), "pinged");
        d.on(new Event.SnapshotFailed(N2, z(2, 7), "an abandoned transfer's read"));
        assertFalse(Conversation.sent(d.on(new Event.Tick()), N2).isEmpty(),
                "a failed read of another snapshot leaves the pending SNAP alone");
        d.on(new Event.SnapshotFailed(N2, null, "disk full"));
        assertEquals(List.of(), Conversation.sent(d.on(new Event.Tick()), N2),
                "dropped: no more pings, so it looks for its leader again");
        assertEquals(List.of(), d.on(new Event.SnapshotReady(N2, z(3, 1), 3, 77)),
                "a late snapshot is not sent to a dropped learner");
    }

    @Test
    void aLearnerBehindTheInMemoryWindowGetsSnap() {
        CoreConfig cfg = CoreConfig.of(N1, java.util.Set.of(N1, N2, N3), java.util.Set.of());
        Conversation c = new Conversation(cfg, N1,
                new PersistentState(2, 2, z(2, 3), List.of(txn(2, 4), txn(2, 5))));
        c.receive(N2, new FollowerInfo(2, z(2, 1)));
        c.persistAll();
        assertEquals(new Action.TakeSnapshot(N2),
                c.receive(N2, new AckEpoch(3, 2, z(2, 1))).get(1));
    }

    @Test
    void establishesOnlyAfterItsOwnCurrentEpochIsDurable() {
        Conversation c = leaderAfterEpoch(z(2, 5), 2);
        c.receive(N2, new AckEpoch(3, 2, z(2, 5)));
        assertActions(c.receive(N2, new AckNewLeader(3, z(2, 5))));
        assertFalse(c.core.isBroadcasting());
        List<Action> a = c.persistAll();
        assertTrue(c.core.isBroadcasting());
        assertEquals(send(N2, new UpToDate(3, z(2, 5))), a.get(0));
        assertEquals(new Action.Deliver(log(new long[] {1, 3}, new long[] {2, 5})), a.get(1));
        assertEquals(z(2, 5), c.core.lastCommittedZxid());
    }

    @Test
    void observersAreSyncedOnlyOnceEstablishedAndNeverCountTowardTheQuorum() {
        Conversation c = new Conversation(N1, N1, state(2, 2, log(new long[] {2, 2})));
        assertActions(c.receive(N4, new ObserverInfo(2, z(2, 1)))); // an observer is no quorum
        c.receive(N2, new FollowerInfo(2, z(2, 2)));
        assertActions(c.persistAll(), send(N2, new io.zab.protocol.message.LeaderInfo(3)),
                send(N4, new io.zab.protocol.message.LeaderInfo(3)));
        assertActions(c.receive(N4, new AckEpoch(3, 2, z(2, 1))));
        c.receive(N2, new AckEpoch(3, 2, z(2, 2)));
        assertFalse(c.core.isBroadcasting());
        c.receive(N2, new AckNewLeader(3, z(2, 2)));
        List<Action> a = c.persistAll();
        assertTrue(c.core.isBroadcasting());
        assertTrue(Conversation.sent(a, N4).contains(new Diff(3, z(2, 2))), a.toString());
    }
}
