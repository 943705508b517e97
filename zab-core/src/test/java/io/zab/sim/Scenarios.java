package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Event;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.Trunc;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the catalogue scenario tests share: a cluster with an established leader, writes that
 * retry until one is acknowledged, message predicates for hooks, and {@link #settle}, the end of
 * every scenario (heal, restart, liveness within {@link #T}, convergence, every invariant).
 *
 * <p>One thread (the test's).
 */
final class Scenarios {
    /** Liveness bound after a heal, in virtual ms (RELIABILITY.md: 10 s in the sim). */
    static final long T = 10_000;

    private Scenarios() {
    }

    /** A cluster whose first leader is in broadcast with every node following it. */
    static SimCluster established(long seed, SimOptions o) {
        SimCluster c = new SimCluster(seed, o);
        assertTrue(c.runUntil(() -> c.leader().isPresent()
                && c.nodes().stream().allMatch(n -> n.isUp() && n.core().isBroadcasting()), T),
                "initial leader: " + c.states());
        return c;
    }

    static int leaderId(SimCluster c) {
        return c.leader().orElseThrow(() -> new AssertionError("no leader\n" + c.states())).id();
    }

    /** The voters other than {@code leader}, lowest id first. */
    static List<Integer> followers(SimCluster c, int leader) {
        List<Integer> out = new ArrayList<>();
        for (SimNode n : c.voters()) {
            if (n.id() != leader) {
                out.add(n.id());
            }
        }
        return out;
    }

    /** Writes through {@code node} until one write is acknowledged; returns it. */
    static SimRequest write(SimCluster c, int node) {
        for (int attempt = 0; attempt < 20; attempt++) {
            SimRequest r = c.submit(node);
            c.runUntil(r::isDone, T);
            if (r.succeeded()) {
                return r;
            }
            c.runFor(500);
        }
        throw new AssertionError("no write acknowledged through " + node + "\n" + c.states());
    }

    /** Submits a write every {@code gapMillis} at a random live node for {@code millis}. */
    static List<SimRequest> writeFor(SimCluster c, SplittableRandom r, long millis,
            long gapMillis) {
        List<SimRequest> out = new ArrayList<>();
        long end = c.now() + millis * SimClock.MILLIS;
        while (c.now() < end) {
            List<SimNode> up = c.nodes().stream().filter(SimNode::isUp).toList();
            if (!up.isEmpty()) {
                out.add(c.submit(up.get(r.nextInt(up.size())).id()));
            }
            c.runFor(gapMillis);
        }
        return out;
    }

    /** How any leader synced {@code learner} from now on: DIFF, TRUNC or SNAP sent to it. */
    static List<String> syncsTo(SimCluster c, int learner) {
        List<String> modes = new ArrayList<>();
        c.onAction(0, a -> a instanceof Send s && s.to().value() == learner
                && (s.message() instanceof Diff || s.message() instanceof Trunc
                        || s.message() instanceof Snap),
                x -> modes.add(((Send) x.item()).message().getClass().getSimpleName()));
        return modes;
    }

    /** The reads of its log {@code leader} asked for, for {@code learner} (0: any node's). */
    static List<Action.ReadLog> readsFor(SimCluster c, int leader, int learner) {
        List<Action.ReadLog> reads = new ArrayList<>();
        c.onAction(leader, a -> a instanceof Action.ReadLog r && r.learner().value() == learner,
                x -> reads.add((Action.ReadLog) x.item()));
        return reads;
    }

    /** {@code n} writes through {@code node}, a burst at a time; every one acknowledged. */
    static void writeMany(SimCluster c, int node, int n) {
        List<SimRequest> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(c.submit(node));
            if (i % 50 == 49) {
                c.runFor(20);
            }
        }
        assertTrue(c.runUntil(() -> all.stream().allMatch(SimRequest::isDone), T),
                "the writes completed: " + c.states());
        assertTrue(all.stream().allMatch(SimRequest::succeeded), "every write acknowledged");
    }

    static boolean sends(Action a, Class<? extends Message> message) {
        return a instanceof Send s && message.isInstance(s.message());
    }

    static boolean sendsTo(Action a, Class<? extends Message> message, int to) {
        return sends(a, message) && ((Send) a).to().value() == to;
    }

    static boolean receives(Event e, Class<? extends Message> message) {
        return e instanceof Event.Received r && message.isInstance(r.message());
    }

    static boolean chainHas(SimCluster c, Zxid zxid) {
        for (int i = c.checkers().chainLength(); i >= 1; i--) {
            Zxid z = c.checkers().chainAt(i);
            if (z.equals(zxid)) {
                return true;
            }
            if (z.isBefore(zxid)) {
                return false;
            }
        }
        return false;
    }

    /** Leaders established so far (one per epoch that reached broadcast). */
    static long leadersSoFar(SimCluster c) {
        return c.stats().leaders;
    }

    /**
     * The end of every scenario: heal the network, restart every node, then within {@link #T}
     * a leader in broadcast and a new write acknowledged (liveness after the final heal), then
     * every node on the same chain with every acknowledged write (convergence, durability).
     */
    static void settle(SimCluster c) {
        c.heal();
        for (SimNode n : c.nodes()) {
            if (!n.isUp()) {
                c.restart(n.id());
            }
        }
        long healed = c.now();
        boolean live = c.runUntil(() -> c.leader().isPresent(), T);
        if (!live) {
            throw c.failure("Liveness", "no leader within " + T + " ms of the final heal");
        }
        write(c, leaderId(c));
        if ((c.now() - healed) / SimClock.MILLIS > 2 * T) {
            throw c.failure("Liveness", "the first write after the heal took "
                    + (c.now() - healed) / SimClock.MILLIS + " ms");
        }
        if (!c.runUntil(c::converged, T)) {
            throw c.failure("Convergence", c.convergenceProblem());
        }
        c.checkInvariants();
        c.guard(c.checkers()::checkAcknowledgedWritesEverywhere);
    }
}
