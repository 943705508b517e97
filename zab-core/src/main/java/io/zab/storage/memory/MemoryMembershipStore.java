package io.zab.storage.memory;

import io.zab.Membership;
import io.zab.storage.MembershipStore;
import java.util.Objects;
import java.util.Optional;

/**
 * The committed membership in memory. {@link #save} is durable at once, as the file store's
 * rename is. For tests, the simulator and demos. One thread.
 */
public final class MemoryMembershipStore implements MembershipStore {
    private Membership committed;

    @Override
    public Optional<Membership> committed() {
        return Optional.ofNullable(committed);
    }

    @Override
    public void save(Membership m) {
        this.committed = Objects.requireNonNull(m, "committed");
    }

    @Override
    public String toString() {
        return "MemoryMembershipStore[" + committed + "]";
    }
}
