package io.zab.protocol.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TallyTest {
    private static Set<PeerId> ids(int n) {
        Set<PeerId> s = new HashSet<>();
        for (int i = 1; i <= n; i++) {
            s.add(PeerId.of(i));
        }
        return s;
    }

    private static Zxid z(long counter) {
        return new Zxid(1, counter);
    }

    @Test
    void aMajorityHoldsTheMedianPosition() {
        Tally t = new Tally(new MajorityQuorum(ids(5)));
        t.hold(PeerId.of(1), z(9)).hold(PeerId.of(2), z(3)).hold(PeerId.of(3), z(7));
        assertEquals(z(3), t.highest(), "three of five: the lowest of them");
        t.hold(PeerId.of(4), z(8));
        assertEquals(z(7), t.highest(), "9, 8, 7 are held by three");
        t.hold(PeerId.of(9), z(100)); // not a voter
        assertEquals(z(7), t.highest());
        t.hold(PeerId.of(2), z(9)); // a voter moves on: its highest position counts
        assertEquals(z(8), t.highest());
        t.clear().hold(PeerId.of(1), z(5)).hold(PeerId.of(2), z(5));
        assertNull(t.highest(), "two of five are no quorum");
        assertFalse(t.reached());
        assertTrue(t.count(PeerId.of(3)).reached());
    }

    /** The counting majority agrees with the generic search over containsQuorum. */
    @Test
    void theMajorityShortcutAgreesWithTheGenericSearch() {
        Random random = new Random(42);
        for (int round = 0; round < 2_000; round++) {
            int voters = 1 + random.nextInt(7);
            MajorityQuorum majority = new MajorityQuorum(ids(voters));
            QuorumVerifier generic = new QuorumVerifier() {
                @Override
                public Set<PeerId> voters() {
                    return majority.voters();
                }

                @Override
                public boolean containsQuorum(Set<PeerId> peers) {
                    return majority.containsQuorum(peers);
                }
            };
            Tally fast = new Tally(majority);
            Tally slow = new Tally(generic);
            for (int id = 1; id <= voters + 2; id++) {
                if (random.nextInt(3) > 0) {
                    Zxid at = new Zxid(1 + random.nextInt(2), random.nextInt(6));
                    fast.hold(PeerId.of(id), at);
                    slow.hold(PeerId.of(id), at);
                }
            }
            assertEquals(slow.highest(), fast.highest(), "round " + round);
        }
    }
}
