package io.zab.testkit;

import io.zab.Membership;
import io.zab.NodeStatus;
import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;

/**
 * One look at whether a cluster has converged: a single leader in broadcast, every running
 * member (leader included) has logged and delivered exactly the leader's last committed zxid,
 * and their state machines are equal. The members are those of the newest membership (see
 * {@link Census}): a spare not added yet, or a member removed, need not keep up. Called again
 * and again by a wait; remembers what the last look found so a failed wait can tell "still
 * moving" from "diverged".
 */
final class Convergence<S extends StateMachine> {
    private final Collection<Member<S>> nodes;
    private final AtomicReference<Membership> newest;
    /** Null: compare snapshot bytes. */
    private final BiPredicate<? super S, ? super S> sameState;
    private Zxid at;
    private String divergence;

    Convergence(Collection<Member<S>> nodes, AtomicReference<Membership> newest,
            BiPredicate<? super S, ? super S> sameState) {
        this.nodes = nodes;
        this.newest = newest;
        this.sameState = sameState;
    }

    /** The zxid the cluster converged at, once {@link #reached()} returned true. */
    Zxid at() {
        return at;
    }

    /**
     * What differed when the last look found every member at the same zxid but their state
     * machines unequal; null when it found them still moving (or equal).
     */
    String divergence() {
        return divergence;
    }

    boolean reached() {
        divergence = null;
        Census before = new Census(nodes, newest);
        List<Integer> leaders = before.leaders();
        if (leaders.size() != 1) {
            return false;
        }
        Zxid committed = before.status(leaders.get(0)).lastCommittedZxid();
        if (!allAt(before, committed)) {
            return false;
        }
        List<Member<S>> up = nodes.stream().filter(m -> before.running().contains(m.id))
                .toList();
        for (int i = 1; i < up.size(); i++) {
            String difference = difference(up.get(0), up.get(i));
            if (difference != null) {
                divergence = difference + " at " + committed;
                return false;
            }
        }
        // Nothing moved while the machines were compared: they are equal at this zxid.
        Census after = new Census(nodes, newest);
        if (!after.running().equals(before.running()) || !allAt(after, committed)) {
            return false;
        }
        at = committed;
        return true;
    }

    /** Every running member logged and delivered exactly {@code z}: nothing is in flight. */
    private static boolean allAt(Census census, Zxid z) {
        for (NodeStatus s : census.statuses()) {
            if (!s.lastDeliveredZxid().equals(z) || !s.lastLoggedZxid().equals(z)) {
                return false;
            }
        }
        return true;
    }

    /** Null when the two members' state machines are equal, else how they differ. */
    private String difference(Member<S> a, Member<S> b) {
        GuardedMachine<S> ma = a.machine;
        GuardedMachine<S> mb = b.machine;
        if (sameState != null) {
            // Locks taken in member order (a has the lower id); a delivery thread only ever
            // holds its own machine's lock, so this cannot deadlock.
            boolean same = ma.read(x -> mb.read(y -> sameState.test(x, y)));
            return same ? null : "the state machines of members " + a.id + " and " + b.id
                    + " differ by the cluster's sameState check";
        }
        try {
            byte[] x = ma.snapshotBytes();
            byte[] y = mb.snapshotBytes();
            return Arrays.equals(x, y) ? null : "the snapshots of members " + a.id + " and "
                    + b.id + " differ: " + x.length + " and " + y.length
                    + " bytes, first difference at byte " + Arrays.mismatch(x, y);
        } catch (IOException e) {
            throw new UncheckedIOException("a state machine failed to write its snapshot", e);
        }
    }
}
