package io.zab.protocol.quorum;

import io.zab.PeerId;
import java.util.Set;

/** Which sets of voters form a quorum. Pure; any thread. */
public interface QuorumVerifier {
    Set<PeerId> voters();

    default boolean isVoter(PeerId peer) {
        return voters().contains(peer);
    }

    /** True when the voters among {@code peers} form a quorum (non-voters are ignored). */
    boolean containsQuorum(Set<PeerId> peers);
}
