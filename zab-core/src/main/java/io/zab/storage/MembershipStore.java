package io.zab.storage;

import io.zab.Membership;
import java.io.IOException;
import java.util.Optional;

/**
 * The newest committed membership this node knows ({@link io.zab.Membership}): what it starts
 * from, before the membership txns in its log. A node that never saw a change has none and
 * starts from its static configuration. {@link #save} is atomic and durable when it returns.
 */
public interface MembershipStore {
    Optional<Membership> committed() throws IOException;

    void save(Membership committed) throws IOException;
}
