package io.zab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MembershipTest {
    private static final Membership M = new Membership(new Zxid(3, 7),
            Map.of(PeerId.of(1), "127.0.0.1:2001", PeerId.of(3), "[::1]:2003"),
            Map.of(PeerId.of(2), "host-b:2002"));

    @Test
    void roundTrips() {
        Membership back = Membership.decode(M.encode());
        assertEquals(M, back);
        assertTrue(back.sameMembers(M.withVersion(Zxid.ZERO)));
        assertEquals(3, back.members().size());
    }

    @Test
    void refusesWhatIsNotOne() {
        byte[] bytes = M.encode();
        assertThrows(IllegalArgumentException.class,
                () -> Membership.decode(Arrays.copyOf(bytes, bytes.length - 1)), "cut short");
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(longer));
        byte[] format = bytes.clone();
        format[0] = 2;
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(format));
        byte[] order = bytes.clone();
        // The second voter's id (3) becomes 1: ids must ascend.
        int second = 1 + 8 + 2 + 2 + 4 + 2 + "127.0.0.1:2001".length();
        order[second + 3] = 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Membership.decode(order));
        assertTrue(e.getMessage().contains("above the one before"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Membership(Zxid.ZERO,
                Map.of(), Map.of(PeerId.of(1), "")), "no voter");
        assertThrows(IllegalArgumentException.class, () -> new Membership(Zxid.ZERO,
                Map.of(PeerId.of(1), ""), Map.of(PeerId.of(1), "")), "both roles");
    }
}
