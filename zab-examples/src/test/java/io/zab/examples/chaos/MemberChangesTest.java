package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The arithmetic and parsing ChaosIT's membership nemesis decides with, without servers. */
class MemberChangesTest {
    @Test
    void readsTheCommittedMembershipNotTheChangeInFlight() {
        MemberChanges.View v = MemberChanges.parse("{\"version\":\"0x600000428\",\"voters\":"
                + "{\"1\":\"127.0.0.11:4001\",\"2\":\"127.0.0.12:4002\",\"4\":\"127.0.0.14:4004\"},"
                + "\"observers\":{},\"leader\":1,\"change\":{\"version\":\"0x600000500\","
                + "\"voters\":{\"1\":\"127.0.0.11:4001\",\"2\":\"127.0.0.12:4002\"},"
                + "\"observers\":{}}}");
        assertEquals(0x600000428L, v.version());
        assertEquals(Set.of(1, 2, 4), v.voters());
        assertTrue(v.changing());
        MemberChanges.View settled = MemberChanges.parse("{\"version\":\"0x0\",\"voters\":"
                + "{\"3\":\"h:1\"},\"observers\":{\"9\":\"h:9\"},\"leader\":null,\"change\":null}");
        assertEquals(Set.of(3), settled.voters());
        assertFalse(settled.changing());
    }

    @Test
    void aRemovalNeedsAQuorumOfTheHealthyWithAKillPlanned() {
        List<Integer> four = List.of(1, 2, 3, 4);
        List<Integer> three = List.of(1, 2, 3);
        assertTrue(MemberChanges.quorumOf(four, Set.of(1, 2, 3, 4), 1));
        assertTrue(MemberChanges.quorumOf(three, Set.of(1, 2, 3), 1));
        // One blank node (abstaining) and a kill: 2 of 4 is no quorum.
        assertFalse(MemberChanges.quorumOf(four, Set.of(1, 2, 4), 1));
        assertTrue(MemberChanges.quorumOf(four, Set.of(1, 2, 4), 0));
        assertFalse(MemberChanges.quorumOf(three, Set.of(1), 0));
    }
}
