package io.zab.protocol;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.quorum.JointQuorum;
import io.zab.protocol.quorum.MajorityQuorum;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one home of what a node knows of its membership: the newest committed membership, the
 * membership txns in its history after it (seen, not known committed: normally at most one, a
 * change in flight), and, on a leader, the membership it is staging (members being added are
 * synced as non-voting learners before the change is proposed).
 *
 * <p>While any change is seen, a quorum is a quorum of the committed membership and of every
 * one seen ({@link JointQuorum}); once a change commits, its membership alone.
 *
 * <p>Not thread-safe: owned by {@link ZabCore}.
 */
final class Memberships {
    private Membership committed;
    private final NavigableMap<Zxid, Membership> seen = new TreeMap<>();
    private Membership staging;
    /** The committed membership before the last change: where a removed leader was. */
    private Membership former;

    private QuorumVerifier quorum;
    private long generation;

    Memberships(Membership committed, Iterable<Txn> log) {
        this.committed = committed;
        for (Txn t : log) {
            onAppend(t);
        }
        refresh();
    }

    Membership committed() {
        return committed;
    }

    /** The newest membership in this node's history (committed or not). */
    Membership newest() {
        return seen.isEmpty() ? committed : seen.lastEntry().getValue();
    }

    /** The change in flight: the newest membership seen and not known committed, or null. */
    Membership pending() {
        return seen.isEmpty() ? null : seen.lastEntry().getValue();
    }

    Membership staging() {
        return staging;
    }

    QuorumVerifier quorum() {
        return quorum;
    }

    /** A member of the committed membership, of one seen, or one being staged. */
    boolean knows(PeerId peer) {
        if (committed.contains(peer) || (staging != null && staging.contains(peer))) {
            return true;
        }
        for (Membership m : seen.values()) {
            if (m.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code peer} learns as an observer: its role in the committed membership while it
     * is a member of it (a role change takes effect at its commit: until then a voter being
     * demoted still votes and may be elected, as its election counts it), otherwise in the
     * newest membership that has it (staged, then seen).
     */
    boolean isObserver(PeerId peer) {
        if (committed.contains(peer)) {
            return committed.isObserver(peer);
        }
        if (staging != null && staging.contains(peer)) {
            return staging.isObserver(peer);
        }
        for (Membership m : seen.descendingMap().values()) {
            if (m.contains(peer)) {
                return m.isObserver(peer);
            }
        }
        return committed.isObserver(peer);
    }

    /**
     * Whether {@code peer} may learn in that role: some membership this node knows (committed,
     * seen, staged) has it so. A member changing roles learns in its old role until the change
     * commits and it hears of it.
     */
    boolean mayLearnAs(PeerId peer, boolean observer) {
        // A member being added learns in whichever role it asks for until the change commits.
        if (has(committed, peer, observer) || (staging != null && staging.contains(peer))) {
            return true;
        }
        for (Membership m : seen.values()) {
            if (has(m, peer, observer)) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(Membership m, PeerId peer, boolean observer) {
        return m != null && (observer ? m.isObserver(peer) : m.isVoter(peer));
    }

    /**
     * Every member this node knows of that counts in no quorum: observers, and members being
     * added (learners that do not vote yet). An election answers them and never counts them.
     */
    Set<PeerId> observers() {
        Set<PeerId> out = new TreeSet<>();
        for (PeerId p : peers(null).keySet()) {
            // An observer being promoted still observes until the change commits (as the
            // core has it learn), though the joint quorum already counts it on the new side.
            if (!quorum.isVoter(p) || isObserver(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Every member this node must talk to, {@code self} excluded, and their addresses. */
    Map<PeerId, String> peers(PeerId self) {
        Map<PeerId, String> out = new TreeMap<>(committed.addresses());
        for (Membership m : seen.values()) {
            out.putAll(m.addresses());
        }
        if (staging != null) {
            out.putAll(staging.addresses());
        }
        if (self != null) {
            out.remove(self);
        }
        return out;
    }

    /** {@code peer}'s address in any membership this node knows or knew last, or null. */
    String addressOf(PeerId peer) {
        Map<PeerId, String> all = peers(null);
        if (all.containsKey(peer)) {
            return all.get(peer);
        }
        return former == null ? null : former.addresses().get(peer);
    }

    void stage(Membership target) {
        staging = target;
        generation++;
    }

    void unstage() {
        staging = null;
        generation++;
    }

    /** Counts every change of what this node knows, so callers can skip recomputing. */
    long generation() {
        return generation;
    }

    void onAppend(Txn t) {
        if (t.membership() && t.zxid().isAfter(committed.version())) {
            seen.put(t.zxid(), t.newMembership());
            if (staging != null && staging.sameMembers(newest())) {
                staging = null; // proposed: the seen one speaks for it now
            }
            refresh();
        }
    }

    /** The history was cut after {@code lastKept}: changes after it were never committed. */
    void onTruncate(Zxid lastKept) {
        if (!seen.tailMap(lastKept, false).isEmpty()) {
            seen.tailMap(lastKept, false).clear();
            refresh();
        }
    }

    /** The history restarts after a snapshot at {@code zxid}: nothing of the old one stays. */
    void onReset(Zxid zxid) {
        seen.clear();
        refresh();
    }

    /**
     * Everything up to {@code zxid} is committed; returns the newly committed membership, or null
     * when none was.
     */
    Membership commitUpTo(Zxid zxid) {
        NavigableMap<Zxid, Membership> done = seen.headMap(zxid, true);
        if (done.isEmpty()) {
            return null;
        }
        former = committed;
        committed = done.lastEntry().getValue();
        done.clear();
        refresh();
        return committed;
    }

    /**
     * A committed membership learned from a leader (NEWLEADER): adopted when newer than ours;
     * returns whether it was.
     */
    boolean adoptCommitted(Membership m) {
        if (m == null || m.version().isBefore(committed.version())
                || (m.version().equals(committed.version()) && m.sameMembers(committed))) {
            return false; // an equal version with other members: a joiner's static one
        }
        committed = m;
        seen.headMap(m.version(), true).clear();
        refresh();
        return true;
    }

    private void refresh() {
        generation++;
        QuorumVerifier q = new MajorityQuorum(committed.voters().keySet());
        for (Membership m : seen.values()) {
            q = new JointQuorum(q, new MajorityQuorum(m.voters().keySet()));
        }
        quorum = q;
    }

    @Override
    public String toString() {
        return committed + (seen.isEmpty() ? "" : ", changing to " + newest())
                + (staging == null ? "" : ", staging " + staging);
    }
}
