package io.zab.protocol.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.PeerId;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Majority against brute force over every subset, for 1 to 7 voters plus strangers. */
class MajorityQuorumTest {
    @Test
    void everySubsetAgreesWithCounting() {
        for (int n = 1; n <= 7; n++) {
            Set<PeerId> voters = new HashSet<>();
            for (int i = 1; i <= n; i++) {
                voters.add(PeerId.of(i));
            }
            MajorityQuorum q = new MajorityQuorum(voters);
            for (int mask = 0; mask < 1 << (n + 2); mask++) {
                Set<PeerId> s = new HashSet<>();
                int members = 0;
                for (int i = 0; i < n + 2; i++) {
                    if ((mask & 1 << i) != 0) {
                        s.add(PeerId.of(i + 1));
                        members += i < n ? 1 : 0;
                    }
                }
                assertEquals(members > n / 2, q.containsQuorum(s), n + " voters, set " + s);
            }
        }
    }
}
