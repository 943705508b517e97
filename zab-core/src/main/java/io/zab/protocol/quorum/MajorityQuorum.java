package io.zab.protocol.quorum;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.Set;
import java.util.TreeSet;

/** A strict majority of the voters. */
public final class MajorityQuorum implements QuorumVerifier {
    private final Set<PeerId> voters;

    public MajorityQuorum(Set<PeerId> voters) {
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("at least one voter is needed");
        }
        this.voters = Set.copyOf(new TreeSet<>(voters));
    }

    @Override
    public Set<PeerId> voters() {
        return voters;
    }

    @Override
    public boolean containsQuorum(Set<PeerId> peers) {
        int n = 0;
        for (PeerId p : peers) {
            if (voters.contains(p)) {
                n++;
            }
        }
        return n * 2 > voters.size();
    }

    /** Sorted from the highest, the position at index voters/2 is held by a majority. */
    @Override
    public Zxid highestHeld(PeerId[] ids, Zxid[] positions, int n) {
        int needed = voters.size() / 2 + 1;
        if (n < needed) {
            return null;
        }
        Tallies.sortDescending(ids, positions, n);
        return positions[needed - 1];
    }

    @Override
    public String toString() {
        return "majority of " + voters;
    }
}
