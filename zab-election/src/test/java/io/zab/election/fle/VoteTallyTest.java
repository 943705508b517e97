package io.zab.election.fle;

import static io.zab.Role.FOLLOWING;
import static io.zab.Role.LEADING;
import static io.zab.Role.LOOKING;
import static io.zab.election.fle.FastLeaderElectionTest.p;
import static io.zab.election.fle.FastLeaderElectionTest.vote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.election.Vote;
import io.zab.protocol.quorum.MajorityQuorum;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class VoteTallyTest {
    private final VoteTally tally =
            new VoteTally(new MajorityQuorum(Set.of(p(1), p(2), p(3), p(4), p(5))));

    @Test
    void lookingVotesBackOnlyTheSameVote() {
        tally.put(p(1), vote(3, 1, 1), LOOKING);
        tally.put(p(2), vote(3, 1, 1), LOOKING);
        tally.put(p(3), vote(3, 1, 2), LOOKING);
        assertEquals(Set.of(p(1), p(2)), tally.backers(vote(3, 1, 1)));
        assertFalse(tally.quorumBacks(vote(3, 1, 1)));
        tally.put(p(3), vote(3, 1, 1), LOOKING); // the latest vote replaces the earlier one
        assertTrue(tally.quorumBacks(vote(3, 1, 1)));
        assertFalse(tally.allVotersBack(vote(3, 1, 1)));
    }

    @Test
    void settledVotesBackTheirLeaderWhateverCredentialsTheyCarry() {
        tally.put(p(1), vote(2, 7, 3), FOLLOWING);
        tally.put(p(2), vote(2, 9, 0), LEADING);
        tally.put(p(3), vote(2, 1, 1), FOLLOWING);
        assertTrue(tally.quorumBacks(vote(2, 1, 1)));
        assertTrue(tally.claimsLeading(p(2)));
        assertFalse(tally.claimsLeading(p(1)));
        tally.remove(p(2));
        assertFalse(tally.claimsLeading(p(2)));
    }

    @Test
    void nonVotersAreNeverCounted() {
        tally.put(p(6), vote(1, 1, 1), LOOKING);
        tally.put(p(7), vote(1, 1, 1), LOOKING);
        tally.put(p(1), vote(1, 1, 1), LOOKING);
        tally.put(p(2), vote(1, 1, 1), LOOKING);
        assertEquals(Set.of(p(1), p(2)), tally.backers(vote(1, 1, 1)));
        assertFalse(tally.quorumBacks(vote(1, 1, 1)));
    }

    @Test
    void twoDifferentLookingVotesNeverBothHaveAQuorum() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 2_000; i++) {
            tally.clear();
            for (int v = 1; v <= 5; v++) {
                if (r.nextBoolean()) {
                    tally.put(p(v), vote(1 + r.nextInt(3), 1, 1), LOOKING);
                }
            }
            Set<PeerId> winners = new TreeSet<>();
            for (int c = 1; c <= 3; c++) {
                Vote candidate = vote(c, 1, 1);
                if (tally.quorumBacks(candidate)) {
                    winners.add(candidate.leader());
                }
            }
            assertTrue(winners.size() <= 1, "two quorums in " + tally);
        }
    }
}
