package io.zab.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What every {@link MembershipStore} must do, bound to each implementation by a subclass. */
public abstract class MembershipStoreContract {
    /** A new store with no membership saved. */
    protected abstract MembershipStore create() throws IOException;

    /** The store as a restarted node finds it. */
    protected abstract MembershipStore restart(MembershipStore store) throws IOException;

    @Test
    void holdsNoneUntilOneIsSaved() throws IOException {
        assertEquals(Optional.empty(), create().committed());
    }

    @Test
    void keepsTheLastSavedAcrossARestart() throws IOException {
        MembershipStore s = create();
        Membership first = Txns.membershipTxn(new Zxid(1, 4)).newMembership();
        Membership second = Txns.membershipTxn(new Zxid(2, 1)).newMembership();
        s.save(first);
        assertEquals(Optional.of(first), s.committed());
        s.save(second);
        assertEquals(Optional.of(second), s.committed());
        s = restart(s);
        assertEquals(Optional.of(second), s.committed());
        assertTrue(s.committed().get().sameMembers(second)
                && s.committed().get().addresses().equals(second.addresses()));
    }

    @Test
    void keepsAStartingMembershipWithEmptyAddresses() throws IOException {
        MembershipStore s = create();
        Membership m = Membership.of(Set.of(PeerId.of(1)), Set.of());
        s.save(m);
        assertEquals(Optional.of(m), restart(s).committed());
    }
}
