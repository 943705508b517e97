package io.zab.protocol.quorum;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * While a membership change is between its proposal and its commit, a quorum is a quorum of the
 * old voters and of the new ones together: any quorum of either membership alone then meets
 * every quorum that may commit (ZooKeeper's reconfig, Raft's joint consensus).
 */
public final class JointQuorum implements QuorumVerifier {
    private final QuorumVerifier old;
    private final QuorumVerifier next;
    private final Set<PeerId> voters;

    public JointQuorum(QuorumVerifier old, QuorumVerifier next) {
        this.old = old;
        this.next = next;
        Set<PeerId> all = new TreeSet<>(old.voters());
        all.addAll(next.voters());
        this.voters = Set.copyOf(all);
    }

    public QuorumVerifier old() {
        return old;
    }

    public QuorumVerifier next() {
        return next;
    }

    @Override
    public Set<PeerId> voters() {
        return voters;
    }

    @Override
    public boolean containsQuorum(Set<PeerId> peers) {
        return old.containsQuorum(peers) && next.containsQuorum(peers);
    }

    /** A quorum of the old voters or of the new ones: see {@link QuorumVerifier}. */
    @Override
    public boolean containsAnyQuorum(Set<PeerId> peers) {
        return old.containsAnyQuorum(peers) || next.containsQuorum(peers);
    }

    /** The lower of what a quorum of each holds: both hold it. */
    @Override
    public Zxid highestHeld(PeerId[] ids, Zxid[] positions, int n) {
        Zxid a = highestOf(old, ids, positions, n);
        if (a == null) {
            return null;
        }
        Zxid b = highestOf(next, ids, positions, n);
        return b == null ? null : Zxid.min(a, b);
    }

    private static Zxid highestOf(QuorumVerifier q, PeerId[] ids, Zxid[] positions, int n) {
        PeerId[] i2 = new PeerId[n];
        Zxid[] p2 = new Zxid[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (q.isVoter(ids[i])) {
                i2[m] = ids[i];
                p2[m] = positions[i];
                m++;
            }
        }
        return q.highestHeld(Arrays.copyOf(i2, m), Arrays.copyOf(p2, m), m);
    }

    @Override
    public String toString() {
        return "joint of " + old + " and " + next;
    }
}
