package io.zab.election.fle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.Vote;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the vote order that every election relies on. ZOOKEEPER-1419 was a wrong vote
 * predicate: 5-node elections never settled. The order must be a strict total order on
 * (epoch, zxid, sid), lexicographic, and {@code isBetterThan} must be exactly "greater".
 */
class VoteOrderTest {
    private static final int SAMPLES = 3_000;

    /** Small ranges so that equal epochs, zxids and sids are common. */
    private static Vote randomVote(SplittableRandom r) {
        long epoch = r.nextInt(4);
        Zxid zxid = new Zxid(r.nextLong(epoch + 1), r.nextInt(4));
        return new Vote(PeerId.of(1 + r.nextInt(4)), epoch, zxid);
    }

    private static int lexicographic(Vote a, Vote b) {
        return Comparator.comparingLong(Vote::epoch)
                .thenComparingLong(v -> v.zxid().epoch())
                .thenComparingLong(v -> v.zxid().counter())
                .thenComparingInt(v -> v.leader().value())
                .compare(a, b);
    }

    @Test
    void isAStrictTotalOrderMatchingTheLexicographicOne() {
        SplittableRandom r = new SplittableRandom(1419);
        for (int i = 0; i < SAMPLES; i++) {
            Vote a = randomVote(r);
            Vote b = randomVote(r);
            Vote c = randomVote(r);
            int ab = a.compareTo(b);
            assertEquals(Integer.signum(lexicographic(a, b)), Integer.signum(ab), a + " vs " + b);
            assertEquals(-Integer.signum(b.compareTo(a)), Integer.signum(ab), "antisymmetry");
            assertEquals(ab == 0, a.equals(b), "consistent with equals: " + a + " " + b);
            assertEquals(ab > 0, a.isBetterThan(b), "isBetterThan is strict greater");
            assertTrue(!a.isBetterThan(a), "irreflexive");
            if (ab > 0 && b.compareTo(c) > 0) {
                assertTrue(a.compareTo(c) > 0, "transitive: " + a + " > " + b + " > " + c);
            }
        }
    }

    @Test
    void epochOutranksZxidWhichOutranksSid() {
        Vote higherEpoch = new Vote(PeerId.of(1), 5, new Zxid(3, 1));
        Vote higherZxid = new Vote(PeerId.of(2), 4, new Zxid(4, 99));
        Vote higherSid = new Vote(PeerId.of(3), 4, new Zxid(4, 98));
        assertTrue(higherEpoch.isBetterThan(higherZxid));
        assertTrue(higherZxid.isBetterThan(higherSid));
        assertTrue(new Vote(PeerId.of(3), 4, new Zxid(4, 98))
                .isBetterThan(new Vote(PeerId.of(2), 4, new Zxid(4, 98))));
    }

    @Test
    void everyLookingVoterAdoptingTheBestVoteReachesTheMaximum() {
        // Adopting "better" votes in any order ends at the one maximum: the heart of FLE.
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            List<Vote> votes = new ArrayList<>();
            for (int k = 0; k < 7; k++) {
                votes.add(randomVote(r));
            }
            Vote max = votes.stream().max(Comparator.naturalOrder()).orElseThrow();
            Vote held = votes.get(r.nextInt(votes.size()));
            for (int k = 0; k < 50; k++) {
                Vote heard = votes.get(r.nextInt(votes.size()));
                if (heard.isBetterThan(held)) {
                    held = heard;
                }
            }
            for (Vote v : votes) {
                if (v.isBetterThan(held)) {
                    held = v;
                }
            }
            assertEquals(max, held);
        }
    }
}
