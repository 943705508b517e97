package io.zab.election.fle;

import static io.zab.Role.FOLLOWING;
import static io.zab.Role.LEADING;
import static io.zab.Role.LOOKING;
import static io.zab.election.fle.FastLeaderElectionTest.p;
import static io.zab.election.fle.FastLeaderElectionTest.vote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.message.Notification;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Scripted elections among nodes that know different memberships: votes count only among nodes
 * at the same membership version; a node that hears of a newer one abstains and joins only a
 * leader that says it leads at that version; a node at an older one is answered, not counted.
 */
class MembershipVersionTest {
    private static final Zxid OLD = Zxid.ZERO;
    private static final Zxid NEW = new Zxid(3, 17);
    private static final Zxid NEWER = new Zxid(4, 2);

    private RecordingContext ctx;
    private FastLeaderElection fle;

    private void start(int self, int voters, Vote own, Zxid version) {
        ctx = RecordingContext.voters(self, voters);
        ctx.membershipVersion(version);
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(own);
    }

    private static Notification at(Zxid version, Vote v, long round, io.zab.Role state) {
        return new Notification(v, round, state, false, version);
    }

    private void tick(int n) {
        for (int i = 0; i < n; i++) {
            fle.onTick();
        }
    }

    @Test
    void everyNotificationCarriesTheVersionReadAtLookForLeader() {
        start(1, 3, vote(1, 1, 1), NEW);
        for (RecordingContext.Sent s : ctx.drain()) {
            assertEquals(NEW, s.notification().membershipVersion());
        }
        fle.onNotification(p(2), at(NEW, vote(2, 1, 1), 1, LOOKING));
        fle.onNotification(p(3), at(NEW, vote(2, 1, 1), 1, LOOKING));
        assertEquals(Optional.of(p(2)), fle.takeDecision()); // same version: counted as ever
        fle.onSettled(FOLLOWING, vote(2, 1, 1));
        ctx.membershipVersion(NEWER); // committed while it follows
        ctx.drain();
        fle.onNotification(p(3), at(NEWER, vote(3, 1, 1), 5, LOOKING));
        assertEquals(List.of(new RecordingContext.Sent(p(3),
                at(NEWER, vote(2, 1, 1), 1, FOLLOWING))), ctx.drain());
    }

    /** Rules (a) and (c), at the newer end: two older voters back 3, and 3 cannot count them. */
    @Test
    void votesAtAnOlderVersionAreAnsweredButNeverCountedNorAdopted() {
        start(3, 3, vote(3, 2, 5), NEW);
        ctx.drain();
        fle.onNotification(p(1), at(OLD, vote(3, 2, 5), 1, LOOKING));
        fle.onNotification(p(2), at(OLD, vote(3, 2, 5), 1, LOOKING));
        tick(5);
        assertEquals(Optional.empty(), fle.takeDecision(), "counted an older membership's vote");
        ctx.drain();
        fle.onNotification(p(1), at(OLD, vote(1, 9, 9), 1, LOOKING)); // better, never adopted
        assertEquals(Optional.of(vote(3, 2, 5)), fle.currentVote());
        // Answered, with the newer version: that is how the stale voter learns it is stale.
        assertEquals(List.of(new RecordingContext.Sent(p(1), at(NEW, vote(3, 2, 5), 1,
                LOOKING))), ctx.drain());
        fle.onNotification(p(2), at(NEW, vote(3, 2, 5), 1, LOOKING));
        tick(2);
        assertEquals(Optional.of(p(3)), fle.takeDecision(), "2 at the same version counts");
    }

    /** Rule (a), at the older end: a newer voter's vote is not adopted, nor counted. */
    @Test
    void aNewerVotersVoteIsNeitherAdoptedNorCounted() {
        start(1, 3, vote(1, 1, 1), OLD);
        fle.onNotification(p(3), at(NEW, vote(3, 2, 9), 1, LOOKING));
        fle.onNotification(p(2), at(NEW, vote(3, 2, 9), 1, LOOKING));
        tick(10);
        assertEquals(Optional.empty(), fle.takeDecision());
        assertEquals(Optional.empty(), fle.currentVote(), "a stale node backs no vote");
    }

    /** Rule (b): once it hears of a newer membership, a node never elects itself. */
    @Test
    void aStaleNodeWithdrawsItsVoteAndNeverElectsItself() {
        start(1, 3, vote(1, 5, 5), OLD);
        fle.onNotification(p(2), at(OLD, vote(1, 5, 5), 1, LOOKING)); // {1, 2}: a quorum
        ctx.drain();
        fle.onNotification(p(3), at(NEW, vote(3, 1, 1), 1, LOOKING));
        List<RecordingContext.Sent> sent = ctx.drain();
        assertEquals(2, sent.size(), "the withdrawal goes to every voter: " + sent);
        for (RecordingContext.Sent s : sent) {
            assertTrue(s.notification().abstains(), "not marked as abstaining: " + s);
            assertEquals(OLD, s.notification().membershipVersion());
        }
        tick(10);
        fle.onNotification(p(2), at(OLD, vote(1, 5, 5), 1, LOOKING));
        fle.onNotification(p(2), at(OLD, vote(2, 9, 9), 1, LOOKING)); // better: not adopted
        fle.onNotification(p(2), at(OLD, vote(1, 5, 5), 2, LOOKING)); // newer round: neither
        tick(10);
        assertEquals(Optional.empty(), fle.takeDecision(), "a stale node elected itself");
        assertEquals(Optional.empty(), fle.currentVote());
        assertEquals(Optional.of(LOOKING), fle.role());
    }

    /** Rule (b): the way out is the leader's own word that it leads at the newest version. */
    @Test
    void aStaleNodeFollowsALeaderThatLeadsAtTheNewestVersionHeard() {
        start(1, 3, vote(1, 5, 5), OLD);
        fle.onNotification(p(3), at(NEW, vote(3, 1, 1), 2, FOLLOWING)); // a follower's claim
        fle.onNotification(p(2), at(NEWER, vote(2, 1, 1), 3, LOOKING)); // newest heard
        fle.onNotification(p(3), at(NEW, vote(3, 1, 1), 2, LEADING)); // a leader, but older
        assertEquals(Optional.empty(), fle.takeDecision());
        fle.onNotification(p(2), at(NEWER, vote(2, 1, 1), 7, LEADING));
        assertEquals(Optional.of(p(2)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
        assertEquals(7, fle.round());
    }

    /** Rule (b): a stale node still joins a leader a quorum at its own version follows. */
    @Test
    void aStaleNodeStillJoinsALeaderEstablishedAtItsOwnVersion() {
        start(1, 5, vote(1, 5, 5), OLD);
        fle.onNotification(p(5), at(NEW, vote(5, 1, 1), 1, LOOKING));
        fle.onNotification(p(3), at(OLD, vote(2, 2, 2), 4, FOLLOWING));
        fle.onNotification(p(4), at(OLD, vote(2, 2, 2), 4, FOLLOWING));
        fle.onNotification(p(2), at(OLD, vote(2, 2, 2), 4, LEADING));
        assertEquals(Optional.of(p(2)), fle.takeDecision());
    }

    @Test
    void theNextElectionReadsTheVersionAgain() {
        start(1, 3, vote(1, 1, 1), OLD);
        fle.onNotification(p(3), at(NEW, vote(3, 1, 1), 1, LOOKING)); // stale now
        ctx.drain();
        ctx.membershipVersion(NEW); // the node caught up (a sync, say)
        fle.lookForLeader(vote(1, 1, 1));
        for (RecordingContext.Sent s : ctx.drain()) {
            assertEquals(NEW, s.notification().membershipVersion());
            assertFalse(s.notification().abstains());
        }
        fle.onNotification(p(3), at(NEW, vote(1, 1, 1), 2, LOOKING));
        tick(2);
        assertEquals(Optional.of(p(1)), fle.takeDecision());
    }

    @Test
    void theNextElectionTakesTheMembersAgainFromTheContext() {
        start(1, 3, vote(1, 1, 1), OLD);
        fle.onNotification(p(2), at(OLD, vote(1, 1, 1), 1, LOOKING));
        tick(2);
        assertEquals(Optional.of(p(1)), fle.takeDecision());
        fle.onSettled(LEADING, vote(1, 1, 1));
        ctx.members(java.util.Set.of(1, 2, 3, 4, 5), java.util.Set.of());
        ctx.membershipVersion(NEW);
        ctx.drain();
        fle.lookForLeader(vote(1, 2, 4));
        assertEquals(List.of(p(2), p(3), p(4), p(5)), ctx.drain().stream()
                .map(RecordingContext.Sent::to).toList());
        fle.onNotification(p(5), at(NEW, vote(1, 2, 4), 2, LOOKING)); // 5 was unknown before
        tick(2);
        assertEquals(Optional.empty(), fle.takeDecision(), "two of five are no quorum");
        fle.onNotification(p(4), at(NEW, vote(1, 2, 4), 2, LOOKING));
        tick(2);
        assertEquals(Optional.of(p(1)), fle.takeDecision());
    }

    @Test
    void aVoterThatSaysItAbstainsIsNoLongerCounted() {
        start(1, 3, vote(1, 1, 1), OLD);
        fle.onNotification(p(2), at(OLD, vote(1, 1, 1), 1, LOOKING)); // {1, 2} back 1
        fle.onNotification(p(2), new Notification(vote(2, 0, 0), 1, LOOKING, true, OLD));
        tick(10);
        assertEquals(Optional.empty(), fle.takeDecision(), "a withdrawn vote was counted");
    }

    /** Rule (c) when settled: a stale peer asking is told the leader, at the newer version. */
    @Test
    void aSettledNodeAnswersAnOlderLookerWithItsLeader() {
        start(2, 3, vote(2, 1, 1), NEW);
        fle.onNotification(p(1), at(NEW, vote(2, 1, 1), 1, LOOKING));
        fle.onNotification(p(3), at(NEW, vote(2, 1, 1), 1, LOOKING));
        assertEquals(Optional.of(p(2)), fle.takeDecision());
        fle.onSettled(LEADING, vote(2, 1, 1));
        ctx.drain();
        fle.onNotification(p(3), at(OLD, vote(3, 9, 9), 6, LOOKING));
        assertEquals(List.of(new RecordingContext.Sent(p(3), at(NEW, vote(2, 1, 1), 1,
                LEADING))), ctx.drain());
    }

    /** Both ends of rule (b)/(c) together: the stale node learns the leader from its answer. */
    @Test
    void aStaleNodeLearnsTheLeaderFromTheLeadersAnswer() {
        FastLeaderElection leader = new FastLeaderElection();
        RecordingContext leaderCtx = RecordingContext.voters(2, 3);
        leaderCtx.membershipVersion(NEW);
        leader.init(leaderCtx);
        leader.lookForLeader(vote(2, 1, 1));
        leader.onNotification(p(3), at(NEW, vote(2, 1, 1), 1, LOOKING));
        leader.onTick();
        leader.onTick();
        assertEquals(Optional.of(p(2)), leader.takeDecision());
        leader.onSettled(LEADING, vote(2, 1, 1));
        leaderCtx.drain();

        start(1, 3, vote(1, 7, 7), OLD); // better credentials, older membership
        for (RecordingContext.Sent s : ctx.drain()) {
            if (s.to().equals(p(2))) {
                leader.onNotification(p(1), s.notification());
            }
        }
        for (RecordingContext.Sent s : leaderCtx.drain()) {
            fle.onNotification(p(2), s.notification());
        }
        assertEquals(Optional.of(p(2)), fle.takeDecision());
    }
}
