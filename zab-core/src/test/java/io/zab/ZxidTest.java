package io.zab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZxidTest {
    @Test
    void packingRoundTripsAndKeepsTheOrder() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            Zxid a = new Zxid(r.nextLong(Zxid.MAX_PART + 1), r.nextLong(Zxid.MAX_PART + 1));
            Zxid b = new Zxid(r.nextLong(3), r.nextLong(Zxid.MAX_PART + 1));
            assertEquals(a, Zxid.fromLong(a.toLong()));
            assertEquals(Integer.signum(a.compareTo(b)),
                    Integer.signum(Long.compareUnsigned(a.toLong(), b.toLong())));
        }
    }

    @Test
    void partsAreThirtyTwoBits() {
        assertThrows(IllegalArgumentException.class, () -> new Zxid(1L << 32, 0));
        assertThrows(IllegalArgumentException.class, () -> new Zxid(0, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new Zxid(-1, 0));
        Zxid top = new Zxid(Zxid.MAX_PART, Zxid.MAX_PART);
        assertEquals(top, Zxid.fromLong(-1L));
    }

    @Test
    void continuityWithinAndAcrossEpochs() {
        assertTrue(new Zxid(2, 5).isFollowedBy(new Zxid(2, 6)));
        assertFalse(new Zxid(2, 5).isFollowedBy(new Zxid(2, 7)));
        assertTrue(new Zxid(2, 5).isFollowedBy(new Zxid(4, 1)));
        assertFalse(new Zxid(2, 5).isFollowedBy(new Zxid(4, 2)));
        assertFalse(new Zxid(2, 5).isFollowedBy(new Zxid(1, 1)));
        assertTrue(Zxid.ZERO.isFollowedBy(new Zxid(1, 1)));
        // The last counter of an epoch can only be followed by a new epoch (ZOOKEEPER-1277).
        assertFalse(new Zxid(3, Zxid.MAX_PART).isFollowedBy(new Zxid(4, 0)));
        assertTrue(new Zxid(3, Zxid.MAX_PART).isFollowedBy(new Zxid(4, 1)));
    }
}
