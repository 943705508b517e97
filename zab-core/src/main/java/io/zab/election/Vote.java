package io.zab.election;

import io.zab.PeerId;
import io.zab.Zxid;

/**
 * A vote for a leader, with the credentials that rank it: the candidate's currentEpoch, then its
 * last logged zxid, then its id. The node with the highest vote among a quorum has every
 * committed txn (the Zab 1.0 argument; the leader re-checks it against every ACKEPOCH).
 */
public record Vote(PeerId leader, long epoch, Zxid zxid) implements Comparable<Vote> {
    @Override
    public int compareTo(Vote o) {
        int c = Long.compare(epoch, o.epoch);
        if (c != 0) {
            return c;
        }
        c = zxid.compareTo(o.zxid);
        return c != 0 ? c : leader.compareTo(o.leader);
    }

    public boolean isBetterThan(Vote o) {
        return compareTo(o) > 0;
    }
}
