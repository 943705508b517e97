package io.zab.election.fle;

import static io.zab.Role.FOLLOWING;
import static io.zab.Role.LEADING;
import static io.zab.Role.LOOKING;
import static io.zab.Role.OBSERVING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.message.Notification;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Scripted tests of one election: each feeds notifications and ticks and checks the sends. */
class FastLeaderElectionTest {
    static PeerId p(int id) {
        return PeerId.of(id);
    }

    /** A vote for {@code leader} with currentEpoch {@code epoch} and last zxid (epoch, counter). */
    static Vote vote(int leader, long epoch, long counter) {
        return new Vote(p(leader), epoch, new Zxid(epoch, counter));
    }

    static Notification looking(Vote v, long round) {
        return new Notification(v, round, LOOKING);
    }

    private RecordingContext ctx;
    private FastLeaderElection fle;

    private void start(int self, int voters, Vote own) {
        ctx = RecordingContext.voters(self, voters);
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(own);
    }

    /** Starts looking with {@code own} while {@code context}'s voters change to {@code next}. */
    private void startWithChangeInFlight(RecordingContext context, Set<Integer> next, Vote own) {
        ctx = context;
        ctx.changeInFlight(next);
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(own);
    }

    @Test
    void lookingBroadcastsItsOwnVoteToEveryOtherVoter() {
        start(2, 3, vote(2, 1, 5));
        List<RecordingContext.Sent> sent = ctx.drain();
        assertEquals(List.of(new RecordingContext.Sent(p(1), looking(vote(2, 1, 5), 1)),
                new RecordingContext.Sent(p(3), looking(vote(2, 1, 5), 1))), sent);
        assertEquals(Optional.of(LOOKING), fle.role());
        assertEquals(Optional.empty(), fle.takeDecision());
    }

    @Test
    void aBetterVoteIsAdoptedAndRebroadcast() {
        start(1, 3, vote(1, 1, 5));
        ctx.drain();
        fle.onNotification(p(2), looking(vote(2, 1, 7), 1));
        List<RecordingContext.Sent> sent = ctx.drain();
        assertEquals(2, sent.size());
        for (RecordingContext.Sent s : sent) {
            assertEquals(looking(vote(2, 1, 7), 1), s.notification());
        }
        assertEquals(Optional.of(vote(2, 1, 7)), fle.currentVote());
    }

    @Test
    void aWorseVoteOfTheSameRoundIsAnsweredOnlyToItsSender() {
        start(3, 3, vote(3, 2, 1));
        ctx.drain();
        fle.onNotification(p(1), looking(vote(1, 1, 9), 1));
        assertEquals(List.of(new RecordingContext.Sent(p(1), looking(vote(3, 2, 1), 1))),
                ctx.drain());
        assertEquals(Optional.of(vote(3, 2, 1)), fle.currentVote());
    }

    @Test
    void anOlderRoundIsAnsweredWithTheCurrentOneAndNotCounted() {
        start(1, 3, vote(1, 1, 1));
        fle.onNotification(p(2), looking(vote(2, 1, 1), 1)); // round 1 -> adopt 2
        fle.onSettled(FOLLOWING, vote(2, 1, 1));
        fle.lookForLeader(vote(1, 1, 1)); // round 2
        ctx.drain();
        fle.onNotification(p(3), looking(vote(1, 1, 1), 1));
        assertEquals(List.of(new RecordingContext.Sent(p(3), looking(vote(1, 1, 1), 2))),
                ctx.drain());
        // Had the round-1 vote counted, 1 and 3 would be a quorum backing 1.
        tick(5);
        assertEquals(Optional.empty(), fle.takeDecision());
    }

    @Test
    void aNewerRoundResetsTheTally() {
        start(1, 5, vote(1, 1, 1));
        fle.onNotification(p(2), looking(vote(1, 1, 1), 1));
        ctx.drain();
        // Round 2 from peer 3 with a worse vote: we move to round 2 with our own vote.
        fle.onNotification(p(3), looking(vote(3, 0, 0), 2));
        assertEquals(2, fle.round());
        List<RecordingContext.Sent> sent = ctx.drain();
        assertEquals(4, sent.size());
        assertEquals(looking(vote(1, 1, 1), 2), sent.get(0).notification());
        // Peer 2's round-1 vote is gone: 1 and 4 are not yet a quorum of 5.
        fle.onNotification(p(4), looking(vote(1, 1, 1), 2));
        tick(3);
        assertEquals(Optional.empty(), fle.takeDecision());
        fle.onNotification(p(2), looking(vote(1, 1, 1), 2));
        tick(2);
        assertEquals(Optional.of(p(1)), fle.takeDecision());
        assertEquals(Optional.of(LEADING), fle.role());
    }

    @Test
    void aNewerRoundWithABetterVoteIsAdopted() {
        start(1, 3, vote(1, 1, 1));
        ctx.drain();
        fle.onNotification(p(3), looking(vote(3, 1, 2), 4));
        assertEquals(4, fle.round());
        assertEquals(Optional.of(vote(3, 1, 2)), fle.currentVote());
    }

    @Test
    void decidesOnlyAfterTheFinalizeWaitAndOnce() {
        start(5, 5, vote(5, 1, 1));
        fle.onNotification(p(1), looking(vote(5, 1, 1), 1));
        fle.onNotification(p(2), looking(vote(5, 1, 1), 1));
        assertEquals(Optional.empty(), fle.takeDecision());
        fle.onTick();
        assertEquals(Optional.empty(), fle.takeDecision());
        fle.onTick();
        assertEquals(Optional.of(p(5)), fle.takeDecision());
        assertEquals(Optional.empty(), fle.takeDecision());
        assertEquals(Optional.of(LEADING), fle.role());
    }

    @Test
    void aBetterVoteDuringTheFinalizeWaitWins() {
        start(4, 5, vote(4, 1, 1));
        fle.onNotification(p(1), looking(vote(4, 1, 1), 1));
        fle.onNotification(p(2), looking(vote(4, 1, 1), 1));
        fle.onTick();
        fle.onNotification(p(5), looking(vote(5, 1, 1), 1));
        tick(4);
        assertEquals(Optional.empty(), fle.takeDecision());
        fle.onNotification(p(1), looking(vote(5, 1, 1), 1));
        fle.onNotification(p(2), looking(vote(5, 1, 1), 1));
        tick(2);
        assertEquals(Optional.of(p(5)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
    }

    @Test
    void decidesAtOnceWhenEveryVoterBacksTheVote() {
        start(1, 3, vote(1, 1, 1));
        fle.onNotification(p(2), looking(vote(3, 1, 1), 1));
        fle.onNotification(p(3), looking(vote(3, 1, 1), 1));
        assertEquals(Optional.of(p(3)), fle.takeDecision());
    }

    @Test
    void aSingleVoterElectsItselfAtOnce() {
        start(1, 1, vote(1, 0, 0));
        assertEquals(List.of(), ctx.drain());
        assertEquals(Optional.of(p(1)), fle.takeDecision());
    }

    @Test
    void aSettledNodeAnswersLookersWithItsLeader() {
        start(1, 3, vote(1, 1, 1));
        fle.onNotification(p(2), looking(vote(2, 1, 1), 1));
        fle.onNotification(p(3), looking(vote(2, 1, 1), 1));
        assertEquals(Optional.of(p(2)), fle.takeDecision());
        fle.onSettled(FOLLOWING, vote(2, 1, 1));
        ctx.drain();
        fle.onNotification(p(3), looking(vote(3, 1, 0), 7));
        assertEquals(List.of(new RecordingContext.Sent(p(3),
                new Notification(vote(2, 1, 1), 1, FOLLOWING))), ctx.drain());
        // Settled peers are not answered: nobody would learn anything.
        fle.onNotification(p(2), new Notification(vote(2, 1, 1), 1, LEADING));
        assertEquals(List.of(), ctx.drain());
        tick(100);
        assertEquals(List.of(), ctx.drain());
    }

    @Test
    void aRestartedNodeJoinsARunningLeaderConfirmedByAQuorum() {
        start(4, 5, vote(4, 3, 9)); // better credentials than the running leader
        fle.onNotification(p(1), new Notification(vote(2, 2, 5), 6, FOLLOWING));
        fle.onNotification(p(3), new Notification(vote(2, 2, 5), 6, FOLLOWING));
        assertEquals(Optional.empty(), fle.takeDecision(), "followers alone are not enough");
        fle.onNotification(p(2), new Notification(vote(2, 2, 5), 6, LEADING));
        assertEquals(Optional.of(p(2)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
        assertEquals(6, fle.round());
    }

    /**
     * Random simulation seed 300141 (membership changes, the same rule in the simulator's
     * election): node 2 holds a change from voters 1, 2, 3 to 2, 3, 4 that its leader lost
     * before it committed; 1 and 3 elected 3 without it. Joint quorums never count 1 and 3 as
     * a quorum of 2, 3, 4, so node 2 looked forever. A quorum of the old voters shows a running
     * leader well enough to follow it (its sync cuts the change from node 2's log).
     */
    @Test
    void aNodeHoldingAChangeInFlightJoinsALeaderElectedWithoutIt() {
        // Its log holds the change: its vote is better than the leader's.
        startWithChangeInFlight(RecordingContext.voters(2, 3), Set.of(2, 3, 4), vote(2, 4, 3));
        fle.onNotification(p(1), new Notification(vote(3, 4, 1), 6, FOLLOWING));
        assertEquals(Optional.empty(), fle.takeDecision(), "followers alone are not enough");
        fle.onNotification(p(3), new Notification(vote(3, 4, 1), 6, LEADING));
        assertEquals(Optional.of(p(3)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
    }

    /**
     * A voter that a change in flight adds (6, joining voters 1-5 that change to 1, 5, 6) votes,
     * but not for itself, even with the best credentials, nor does it adopt a vote for another
     * such voter: nodes that missed the change cannot follow one (random simulation seed 807401).
     */
    @Test
    void aVoterAddedByAChangeInFlightVotesForACandidateOnly() {
        startWithChangeInFlight(new RecordingContext(6, Set.of(1, 2, 3, 4, 5), Set.of()),
                Set.of(1, 5, 6), vote(6, 2, 9));
        assertEquals(Optional.empty(), fle.currentVote(), "no vote of its own");
        fle.onNotification(p(2), looking(vote(6, 2, 9), 1)); // a stale vote for it
        assertEquals(Optional.empty(), fle.currentVote());
        ctx.drain();
        fle.onNotification(p(2), looking(vote(4, 2, 9), 1));
        assertEquals(Optional.of(vote(4, 2, 9)), fle.currentVote());
        for (RecordingContext.Sent sent : ctx.drain()) {
            assertEquals(looking(vote(4, 2, 9), 1), sent.notification());
        }
        fle.onNotification(p(3), looking(vote(4, 2, 9), 1));
        fle.onNotification(p(4), looking(vote(4, 2, 9), 1));
        fle.onNotification(p(1), looking(vote(4, 2, 9), 1));
        tick(10);
        assertEquals(Optional.of(p(4)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
    }

    /**
     * Random simulation seed 1002701: voters 1-5 changing to 3, 7, 8, the change held by 3, 5,
     * 7 and 8. 5 leads (a joint quorum elected it) and needs 7 or 8 in its discovery, but 1, 2
     * and 4 do not know 7 and never tell it that they follow 5: 7 could never count a quorum
     * behind 5. A voter the change adds follows a candidate on its own word that it leads.
     */
    @Test
    void aVoterAddedByAChangeInFlightFollowsACandidateOnItsOwnWordThatItLeads() {
        startWithChangeInFlight(new RecordingContext(7, Set.of(1, 2, 3, 4, 5), Set.of()),
                Set.of(3, 7, 8), vote(7, 4, 13));
        fle.onNotification(p(3), new Notification(vote(5, 4, 13), 30, FOLLOWING));
        assertEquals(Optional.empty(), fle.takeDecision(), "a follower's word is not enough");
        fle.onNotification(p(8), new Notification(vote(8, 4, 13), 30, LEADING));
        assertEquals(Optional.empty(), fle.takeDecision(), "8 is no candidate");
        fle.onNotification(p(5), new Notification(vote(5, 4, 13), 30, LEADING));
        assertEquals(Optional.of(p(5)), fle.takeDecision());
        assertEquals(Optional.of(FOLLOWING), fle.role());
    }

    /** A candidate still needs a quorum's word besides the leader's own (ZooKeeper's rule). */
    @Test
    void aCandidateWithAChangeInFlightDoesNotFollowOnTheLeadersWordAlone() {
        startWithChangeInFlight(RecordingContext.voters(2, 5), Set.of(3, 7, 8), vote(2, 4, 12));
        fle.onNotification(p(5), new Notification(vote(5, 4, 13), 30, LEADING));
        assertEquals(Optional.empty(), fle.takeDecision());
    }

    /**
     * An observer (here one whose promotion may be in flight, counted by the others) entering
     * a newer round does not adopt the placeholder vote of a voter a change adds: a vote for
     * no candidate would keep it from backing any for the rest of the round.
     */
    @Test
    void anObserverEnteringARoundDoesNotAdoptAPlaceholderVote() {
        startWithChangeInFlight(new RecordingContext(4, Set.of(1, 2, 3), Set.of(4)),
                Set.of(1, 2, 5), vote(4, 2, 7));
        fle.onNotification(p(5), looking(vote(5, 2, 9), 3));
        assertEquals(3, fle.round());
        assertEquals(Optional.empty(), fle.currentVote());
        fle.onNotification(p(1), looking(vote(1, 2, 8), 3));
        assertEquals(Optional.of(vote(1, 2, 8)), fle.currentVote());
    }

    /** A voter holding the change keeps its own vote against one for a voter the change adds. */
    @Test
    void aNodeHoldingAChangeInFlightDoesNotAdoptAVoteForAVoterItAdds() {
        startWithChangeInFlight(RecordingContext.voters(2, 5), Set.of(1, 5, 6), vote(2, 2, 9));
        ctx.drain();
        fle.onNotification(p(6), looking(vote(6, 2, 9), 1));
        assertEquals(Optional.of(vote(2, 2, 9)), fle.currentVote());
        assertEquals(List.of(new RecordingContext.Sent(p(6), looking(vote(2, 2, 9), 1))),
                ctx.drain(), "answers the sender with its own vote");
    }

    /**
     * Seed 807401's election itself, six elections passing their notifications: voters 1-5 are
     * changing to 1, 5, 6 and only 2, 3, 4 and 6 hold the change (they count joint quorums); 1
     * and 5 do not know 6. Before candidates were the committed voters, 2, 3, 4 and 6 voted for
     * 6 (the best log), whom 1 and 5 ignore: no side ever had its quorum.
     */
    @Test
    void nodesWithAndWithoutAChangeInFlightElectALeaderTogether() {
        Map<Integer, RecordingContext> contexts = new TreeMap<>();
        Map<Integer, FastLeaderElection> elections = new TreeMap<>();
        for (int id = 1; id <= 6; id++) {
            RecordingContext c = new RecordingContext(id, Set.of(1, 2, 3, 4, 5), Set.of());
            if (id != 1 && id != 5) {
                c.changeInFlight(Set.of(1, 5, 6));
            }
            contexts.put(id, c);
            FastLeaderElection e = new FastLeaderElection();
            e.init(c);
            elections.put(id, e);
        }
        for (int id = 1; id <= 6; id++) {
            boolean holds = id != 1 && id != 5;
            elections.get(id).lookForLeader(vote(id, 2, holds ? 9 : 8));
        }
        Map<Integer, PeerId> decided = new TreeMap<>();
        for (int step = 0; step < 200 && decided.size() < 6; step++) {
            for (Map.Entry<Integer, RecordingContext> c : contexts.entrySet()) {
                for (RecordingContext.Sent sent : c.getValue().drain()) {
                    int to = sent.to().value();
                    elections.get(to).onNotification(p(c.getKey()), sent.notification());
                }
            }
            for (Map.Entry<Integer, FastLeaderElection> e : elections.entrySet()) {
                e.getValue().onTick();
                e.getValue().takeDecision().ifPresent(l -> decided.put(e.getKey(), l));
            }
        }
        assertEquals(6, decided.size(), "every node decided: " + elections);
        assertEquals(Set.of(p(4)), Set.copyOf(decided.values()),
                "the best log among the committed voters leads: " + decided);
    }

    @Test
    void aLeaderWithoutAQuorumOfFollowersIsNotJoined() {
        start(4, 5, vote(4, 1, 1));
        fle.onNotification(p(2), new Notification(vote(2, 2, 5), 6, LEADING));
        fle.onNotification(p(1), new Notification(vote(2, 2, 5), 6, FOLLOWING));
        fle.onNotification(p(3), new Notification(vote(3, 2, 5), 6, LEADING));
        tick(20);
        assertEquals(Optional.empty(), fle.takeDecision());
        // A follower that goes looking no longer counts for the leader.
        fle.onNotification(p(1), looking(vote(4, 1, 1), 1));
        fle.onNotification(p(5), new Notification(vote(2, 2, 5), 6, FOLLOWING));
        assertEquals(Optional.empty(), fle.takeDecision());
    }

    @Test
    void aNodeThatLooksNeverJoinsItselfOnStaleFollowerWord() {
        start(2, 3, vote(2, 1, 1));
        fle.onNotification(p(1), new Notification(vote(2, 1, 1), 9, FOLLOWING));
        fle.onNotification(p(3), new Notification(vote(2, 1, 1), 9, FOLLOWING));
        assertEquals(Optional.empty(), fle.takeDecision());
    }

    @Test
    void sameRoundFollowersOfThisNodeMakeItLead() {
        start(3, 3, vote(3, 1, 1));
        fle.onNotification(p(1), new Notification(vote(3, 1, 1), 1, FOLLOWING));
        assertEquals(Optional.of(p(3)), fle.takeDecision());
        assertEquals(Optional.of(LEADING), fle.role());
    }

    @Test
    void resendsBackOffByDoublingUpToTheCap() {
        ctx = RecordingContext.voters(1, 2);
        fle = new FastLeaderElection(new FleConfig(2, 1, 8));
        fle.init(ctx);
        fle.lookForLeader(vote(1, 0, 0));
        ctx.drain();
        StringBuilder resendTicks = new StringBuilder();
        for (int t = 1; t <= 40; t++) {
            fle.onTick();
            if (!ctx.drain().isEmpty()) {
                resendTicks.append(t).append(' ');
            }
        }
        // Intervals 1, 2, 4, 8, 8, 8: resends at ticks 1, 3, 7, 15, 23, 31, 39.
        assertEquals("1 3 7 15 23 31 39 ", resendTicks.toString());
    }

    @Test
    void observersAreAnsweredButNeverCounted() {
        ctx = new RecordingContext(1, Set.of(1, 2, 3), Set.of(4, 5));
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(vote(1, 1, 1));
        List<RecordingContext.Sent> sent = ctx.drain();
        assertEquals(Set.of(p(2), p(3)), Set.copyOf(sent.stream().map(s -> s.to()).toList()));
        fle.onNotification(p(4), looking(vote(4, 9, 9), 3));
        fle.onNotification(p(5), looking(vote(1, 1, 1), 1));
        assertEquals(List.of(new RecordingContext.Sent(p(4), looking(vote(1, 1, 1), 1)),
                new RecordingContext.Sent(p(5), looking(vote(1, 1, 1), 1))), ctx.drain());
        assertEquals(1, fle.round());
        assertEquals(Optional.of(vote(1, 1, 1)), fle.currentVote());
        tick(10);
        assertEquals(Optional.empty(), fle.takeDecision(), "observers are no quorum");
    }

    @Test
    void anObserverLearnsTheOutcomeWithoutVotingOrAnswering() {
        ctx = new RecordingContext(4, Set.of(1, 2, 3), Set.of(4));
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(vote(4, 9, 9)); // the best credentials, which must not matter
        assertEquals(3, ctx.drain().size());
        fle.onNotification(p(1), looking(vote(2, 1, 1), 5));
        fle.onNotification(p(2), looking(vote(2, 1, 1), 3)); // older round: ignored, no answer
        assertEquals(List.of(), ctx.drain());
        fle.onNotification(p(2), looking(vote(2, 1, 1), 5));
        assertEquals(List.of(), ctx.drain());
        tick(2);
        assertEquals(Optional.of(p(2)), fle.takeDecision());
        assertEquals(Optional.of(OBSERVING), fle.role());
        fle.onSettled(OBSERVING, vote(2, 1, 1));
        fle.onNotification(p(3), looking(vote(3, 1, 1), 6));
        assertEquals(List.of(), ctx.drain());
    }

    @Test
    void onSettledRejectsARoleThatContradictsTheVote() {
        start(1, 3, vote(1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> fle.onSettled(LEADING, vote(2, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> fle.onSettled(FOLLOWING, vote(1, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> fle.onSettled(OBSERVING, vote(2, 1, 1)));
        assertThrows(IllegalArgumentException.class, () -> fle.onSettled(LOOKING, vote(2, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> fle.onSettled(FOLLOWING, vote(7, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> fle.onSettled(FOLLOWING, new Vote(p(2), -1, new Zxid(2, 1))));
    }

    @Test
    void misuseIsLoud() {
        FastLeaderElection e = new FastLeaderElection();
        assertThrows(IllegalStateException.class, e::onTick);
        RecordingContext c = RecordingContext.voters(1, 3);
        e.init(c);
        assertThrows(IllegalStateException.class, () -> e.init(c));
        assertThrows(IllegalArgumentException.class, () -> e.lookForLeader(vote(2, 1, 1)));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> e.lookForLeader(new Vote(p(1), 1L << 32, new Zxid(2, 1))));
        assertTrue(bad.getMessage().contains("future"), bad.getMessage());
    }

    /**
     * A node in no membership it knows (started to join) asks like an observer, never votes
     * for itself, and follows a leader on that leader's own LEADING word: a follower's claim
     * alone does not move it.
     */
    @Test
    void aNodeOutsideTheMembershipFollowsTheLeaderOnItsWord() {
        FastLeaderElection stranger = new FastLeaderElection();
        RecordingContext sc = RecordingContext.voters(9, 3);
        stranger.init(sc);
        stranger.lookForLeader(new Vote(p(9), 0, Zxid.ZERO));
        assertEquals(Optional.empty(), stranger.currentVote(), "it backs no vote, not its own");
        stranger.onNotification(p(2), new Notification(vote(1, 2, 5), 1,
                io.zab.Role.FOLLOWING));
        assertEquals(Optional.empty(), stranger.takeDecision());
        stranger.onNotification(p(3), new Notification(vote(3, 2, 5), 1,
                io.zab.Role.LEADING));
        assertEquals(Optional.of(p(3)), stranger.takeDecision());
        stranger.onSettled(io.zab.Role.FOLLOWING, vote(3, 2, 5));
    }

    @Test
    void notificationsBeforeTheFirstElectionAreDropped() {
        ctx = RecordingContext.voters(1, 3);
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.onNotification(p(2), looking(vote(2, 1, 1), 1));
        fle.onTick();
        assertEquals(List.of(), ctx.drain());
        assertEquals(Optional.empty(), fle.role());
    }

    private void tick(int n) {
        for (int i = 0; i < n; i++) {
            fle.onTick();
        }
    }

    /** S26: a blank voter joining an existing cluster flags every notification and never
     *  proposes itself. */
    @Test
    void anAbstainingVoterFlagsItsNotificationsAndAdoptsTheVotersVote() {
        ctx = RecordingContext.voters(2, 3);
        ctx.mayVote(false);
        fle = new FastLeaderElection();
        fle.init(ctx);
        fle.lookForLeader(vote(2, 0, 0));
        for (RecordingContext.Sent s : ctx.drain()) {
            assertTrue(s.notification().abstains(), s.toString());
        }
        assertEquals(Optional.empty(), fle.currentVote(), "no vote of its own");
        fle.onNotification(p(1), looking(vote(1, 3, 9), 4));
        assertEquals(Optional.of(vote(1, 3, 9)), fle.currentVote());
        assertEquals(List.of(), ctx.drain(), "it does not announce what it adopted");
        fle.onNotification(p(3), looking(vote(1, 3, 9), 4));
        for (int i = 0; i < 50 && fle.role().orElse(null) == LOOKING; i++) {
            fle.onTick();
        }
        assertEquals(Optional.of(FOLLOWING), fle.role(), "it follows the voters' choice");
        assertEquals(Optional.of(p(1)), fle.takeDecision());
    }

    @Test
    void anAbstainingVoteNeverCompletesAQuorum() {
        start(1, 3, vote(1, 2, 5));
        ctx.drain();
        fle.onNotification(p(2), new Notification(vote(1, 2, 5), 1, LOOKING, true));
        for (int i = 0; i < 50; i++) {
            fle.onTick();
        }
        assertEquals(Optional.of(LOOKING), fle.role(), "node 2 abstains: no quorum for 1");
        assertTrue(ctx.drain().stream().anyMatch(s -> s.to().equals(p(2))),
                "the abstaining node is still answered");
        fle.onNotification(p(3), looking(vote(1, 2, 5), 1));
        for (int i = 0; i < 50 && fle.role().orElse(null) == LOOKING; i++) {
            fle.onTick();
        }
        assertEquals(Optional.of(LEADING), fle.role(), "a real quorum elects");
    }

    @Test
    void anAbstainingVoterClaimingToLeadIsIgnored() {
        start(1, 3, vote(1, 2, 5));
        long before = fle.ignoredNotifications();
        fle.onNotification(p(2), new Notification(vote(2, 2, 9), 1, LEADING, true));
        assertEquals(before + 1, fle.ignoredNotifications());
    }
}
