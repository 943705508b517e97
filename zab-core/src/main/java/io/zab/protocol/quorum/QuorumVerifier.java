package io.zab.protocol.quorum;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.Set;

/** Which sets of voters form a quorum. Pure; any thread. */
public interface QuorumVerifier {
    Set<PeerId> voters();

    default boolean isVoter(PeerId peer) {
        return voters().contains(peer);
    }

    /** True when the voters among {@code peers} form a quorum (non-voters are ignored). */
    boolean containsQuorum(Set<PeerId> peers);

    /**
     * True when {@code peers} form a quorum of some membership this verifier counts by: the same
     * as {@link #containsQuorum} but while a change is in flight, when a quorum of the old or of
     * the new voters alone will do. For following a leader that is already established (it and
     * a quorum of its followers say so), never for electing or committing: a node that holds a
     * change its leader lost before it committed must still be able to join the leader elected
     * without it, by the old voters, who will cut the change from its log.
     */
    default boolean containsAnyQuorum(Set<PeerId> peers) {
        return containsQuorum(peers);
    }

    /**
     * The highest of {@code positions[0..n)} that a quorum holds, each {@code ids[i]} (distinct
     * voters) holding {@code positions[i]} and everything before it; null when all of them
     * together are no quorum. Reorders both arrays. This generic form tries the positions from
     * the highest down; a verifier that can count does better.
     */
    default Zxid highestHeld(PeerId[] ids, Zxid[] positions, int n) {
        Tallies.sortDescending(ids, positions, n);
        for (int i = 0; i < n; i++) {
            Set<PeerId> holders = new java.util.HashSet<>();
            for (int j = 0; j <= i; j++) {
                holders.add(ids[j]);
            }
            // Ties: every voter at the same position holds it too.
            for (int j = i + 1; j < n && positions[j].equals(positions[i]); j++) {
                holders.add(ids[j]);
            }
            if (containsQuorum(holders)) {
                return positions[i];
            }
        }
        return null;
    }
}
