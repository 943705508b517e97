package io.zab.sim;

import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.message.Notification;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A storm on the election messages of a {@link SimCluster} (S20, ZOOKEEPER-1419): a share of
 * every node's outgoing {@link Notification}s is dropped, duplicated, delayed past later ones
 * (reordered), or followed by a stale notification of an earlier round replayed from the same
 * sender. Only election messages are touched, so the storm breaks the transport's FIFO and
 * no-loss promise for them alone, as a flaky election channel would.
 *
 * <p>One thread (the simulation's). Usable from other modules' tests (e.g. with FLE).
 */
public final class ElectionStorm {
    private final SimCluster cluster;
    private final SplittableRandom random;
    private final double rate;
    private final Hook<Action> hook;
    /** Every notification sent so far: {from, to, message}, for stale replays. */
    private final List<Object[]> history = new ArrayList<>();
    private int dropped;
    private int duplicated;
    private int reordered;
    private int replayed;

    private ElectionStorm(SimCluster cluster, SplittableRandom random, double rate) {
        this.cluster = cluster;
        this.random = random;
        this.rate = rate;
        this.hook = cluster.onAction(0, a -> a instanceof Send s
                && s.message() instanceof Notification, this::strike);
    }

    /** Starts a storm hitting {@code rate} of the notifications (e.g. 0.3). */
    public static ElectionStorm start(SimCluster cluster, SplittableRandom random, double rate) {
        return new ElectionStorm(cluster, random, rate);
    }

    private void strike(Intercepted<Action> x) {
        Send s = (Send) x.item();
        int from = x.node().id();
        int to = s.to().value();
        if (history.size() < 10_000) {
            history.add(new Object[] {from, to, s.message()});
        }
        if (random.nextDouble() >= rate) {
            return;
        }
        int kind = random.nextInt(4);
        if (kind == 0) {
            dropped++;
            x.drop();
        } else if (kind == 1) {
            duplicated++;
            later(from, to, (Notification) s.message(), 1 + random.nextLong(50));
        } else if (kind == 2) {
            reordered++;
            Intercepted.Held held = x.hold();
            int inc = x.node().incarnation();
            cluster.clock().after((5 + random.nextLong(300)) * SimClock.MILLIS, () -> {
                if (cluster.node(from).isCurrent(inc)) {
                    held.release();
                }
            });
        } else {
            replayed++;
            Object[] old = history.get(random.nextInt(history.size()));
            later((Integer) old[0], (Integer) old[1], (Notification) old[2],
                    1 + random.nextLong(100));
        }
    }

    /** Sends {@code m} from {@code from} to {@code to} after {@code millis}, if both are up. */
    private void later(int from, int to, Notification m, long millis) {
        cluster.clock().after(millis * SimClock.MILLIS, () -> {
            if (cluster.node(from).isUp() && cluster.node(to).isUp()) {
                cluster.network().send(from, to, m);
            }
        });
    }

    /**
     * The S20 schedule on a cluster of 5 voters (zab-core's test runs it with QuorumMaxElection,
     * zab-election's with FLE): a storm at 30% from the start; two nodes crash during the first
     * election and restart; the election must settle (a leader in broadcast followed by every
     * node) within T; writes; then the leader is crashed and restarted three times, each
     * re-election settling within T; then the storm stops and the cluster settles.
     */
    public static void runS20(SimCluster c, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 7919 + 1);
        ElectionStorm storm = ElectionStorm.start(c, r, 0.3);
        c.runFor(20 + r.nextLong(150));
        int a = 1 + r.nextInt(5);
        int b = a % 5 + 1;
        c.crash(a);
        c.crash(b);
        c.runFor(50 + r.nextLong(400));
        c.restart(a);
        c.restart(b);
        if (!c.runUntil(() -> allBroadcasting(c), Scenarios.T)) {
            throw c.failure("Liveness", "the election did not settle within " + Scenarios.T
                    + " ms of the restarts under " + storm);
        }
        Scenarios.writeFor(c, r, 2_000, 20);
        for (int round = 0; round < 3; round++) {
            int leader = Scenarios.leaderId(c);
            c.crash(leader);
            c.runFor(100 + r.nextLong(400));
            c.restart(leader);
            if (!c.runUntil(() -> allBroadcasting(c), Scenarios.T)) {
                throw c.failure("Liveness", "re-election " + round + " did not settle within "
                        + Scenarios.T + " ms under " + storm);
            }
            Scenarios.writeFor(c, r, 500, 20);
        }
        storm.stop();
        System.out.println("S20 seed " + seed + ": " + storm);
        Scenarios.settle(c);
    }

    private static boolean allBroadcasting(SimCluster c) {
        return c.leader().isPresent() && c.nodes().stream()
                .allMatch(n -> n.isUp() && n.core().isBroadcasting());
    }

    /** Ends the storm; held messages still come out at their time. */
    public void stop() {
        hook.remove();
    }

    @Override
    public String toString() {
        return "election storm at " + rate + ": " + dropped + " dropped, " + duplicated
                + " duplicated, " + reordered + " reordered, " + replayed + " stale replays";
    }
}
