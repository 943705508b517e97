package io.zab.protocol.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JointQuorumTest {
    private static Set<PeerId> ids(int... v) {
        Set<PeerId> out = new HashSet<>();
        for (int i : v) {
            out.add(PeerId.of(i));
        }
        return out;
    }

    private static final QuorumVerifier OLD = new MajorityQuorum(ids(1, 2, 3));
    private static final QuorumVerifier NEW = new MajorityQuorum(ids(3, 4, 5, 6, 7));
    private static final JointQuorum JOINT = new JointQuorum(OLD, NEW);

    @Test
    void aQuorumIsOneOfEachSide() {
        assertEquals(ids(1, 2, 3, 4, 5, 6, 7), JOINT.voters());
        assertFalse(JOINT.containsQuorum(ids(1, 2)), "old side only");
        assertFalse(JOINT.containsQuorum(ids(4, 5, 6)), "new side only");
        assertFalse(JOINT.containsQuorum(ids(1, 3, 4)), "2 of 5 new is no quorum");
        assertTrue(JOINT.containsQuorum(ids(1, 3, 4, 5)), "1,3 of old and 3,4,5 of new");
        assertTrue(JOINT.containsQuorum(ids(1, 3, 4, 5, 8)), "8 is no voter; 1,3 and 3,4,5");
        assertTrue(JOINT.containsQuorum(ids(1, 2, 5, 6, 7)));
    }

    @Test
    void highestHeldIsTheLowerOfBothSides() {
        Tally t = new Tally(JOINT);
        t.hold(PeerId.of(1), z(9)).hold(PeerId.of(2), z(8)).hold(PeerId.of(3), z(2));
        assertNull(t.highest(), "no new-side quorum yet");
        t.hold(PeerId.of(4), z(7)).hold(PeerId.of(5), z(5));
        // Old: {9,8,2} → 8. New: {2,7,5} → 2 (three of five hold it only at 2).
        assertEquals(z(2), t.highest());
        t.hold(PeerId.of(6), z(6));
        // New: {2,7,5,6} → third highest is 5.
        assertEquals(z(5), t.highest());
    }

    /** Random positions: agrees with trying every candidate against containsQuorum. */
    @Test
    void agreesWithCountingByHand() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < 500; round++) {
            Tally t = new Tally(JOINT);
            PeerId[] ids = new PeerId[7];
            Zxid[] pos = new Zxid[7];
            int n = 0;
            for (int id = 1; id <= 7; id++) {
                if (r.nextInt(4) != 0) {
                    ids[n] = PeerId.of(id);
                    pos[n] = z(r.nextInt(6));
                    t.hold(ids[n], pos[n]);
                    n++;
                }
            }
            Zxid expected = null;
            for (int c = 5; c >= 0 && expected == null; c--) {
                Set<PeerId> holders = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    if (pos[i].counter() >= c) {
                        holders.add(ids[i]);
                    }
                }
                if (JOINT.containsQuorum(holders)) {
                    expected = z(c);
                }
            }
            assertEquals(expected, t.highest(), "round " + round + ": " + java.util.Arrays.toString(ids)
                    + " at " + java.util.Arrays.toString(pos));
        }
    }

    private static Zxid z(long counter) {
        return new Zxid(1, counter);
    }
}
