package io.zab.sim;

import static io.zab.sim.Scenarios.T;
import static io.zab.sim.Scenarios.chainHas;
import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.leadersSoFar;
import static io.zab.sim.Scenarios.sends;
import static io.zab.sim.Scenarios.sendsTo;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.write;
import static io.zab.sim.Scenarios.writeFor;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.InstallSnapshot;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Action.StorageAction;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The network and process scenarios of RELIABILITY.md's catalogue that ScenarioTest does not
 * script (S04, S05, S08, S10, S13, S14, S16, S17, S18), each as its fixed fault schedule on the
 * simulator. Every invariant checker runs on every step; each scenario ends with
 * {@link Scenarios#settle}: liveness within T after the final heal, convergence, durability of
 * every acknowledged write. Seeds vary latencies, disk timings and crash tears only.
 */
class CatalogueScenarioTest {
    private static final int SYNC_LIMIT_MS = 5 * 100;


    /**
     * S04, ZOOKEEPER-3642: a follower far behind gets SNAP (the leader snapshots after every
     * delivery and purges its log, so the log does not reach back to it either); the link
     * breaks after it loaded the snapshot in memory and before the snapshot is durable; it
     * reconnects while writes go on (its next sync starts from the snapshot's zxid), then is
     * killed and restarted. It must end equal to the leader.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void s04PartialSnapThenDiff(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults().historyMaxTxns(2));
        int leader = leaderId(c);
        int f1 = followers(c, leader).get(0);
        c.node(leader).snapshotEveryTxns(1);
        c.crash(f1);
        for (int i = 0; i < 8; i++) {
            write(c, leader);
        }
        List<String> syncs = Scenarios.syncsTo(c, f1);
        Hook<Action> cut = c.onAction(f1, a -> a instanceof InstallSnapshot,
                x -> c.breakConnection(f1, leader));
        c.restart(f1);
        assertTrue(c.runUntil(() -> cut.fired() > 0, T), "F1 got SNAP: " + c.states());
        cut.remove();
        assertFalse(c.node(f1).core().isBroadcasting(), "the cut interrupted F1's sync");
        writeFor(c, r, 1_500, 20);
        assertTrue(c.runUntil(() -> c.node(f1).core().isBroadcasting(), T),
                "F1 synced again: " + c.states());
        writeFor(c, r, 300, 20);
        c.crash(f1);
        c.restart(f1);
        settle(c);
        assertTrue(syncs.size() >= 2 && syncs.get(0).equals("Snap"), "SNAP, then another sync: "
                + syncs);
    }

    /**
     * S04 with the link cut in the middle of the transfer, once the follower has made part of
     * the snapshot durable: the next SNAP of the same snapshot resumes after that part instead
     * of starting at byte 0, and the follower ends equal to the leader.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void s04bASnapCutInTheMiddleResumes(long seed) {
        // A window of one chunk: the follower acks the snapshot a chunk at a time.
        SimCluster c = established(seed, SimOptions.defaults().historyMaxTxns(2)
                .byteLimits(CoreConfig.HISTORY_MAX_BYTES,
                        CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES, 256));
        int leader = leaderId(c);
        int f1 = followers(c, leader).get(0);
        c.node(leader).snapshotEveryTxns(1);
        c.crash(f1);
        for (int i = 0; i < 8; i++) {
            write(c, leader);
        }
        List<long[]> chunks = new ArrayList<>(); // {transfer number, offset}
        int[] transfers = {0};
        c.onAction(leader, a -> a instanceof Send s && s.to().value() == f1
                && (s.message() instanceof Snap || s.message() instanceof SnapChunk), x -> {
                    if (((Send) x.item()).message() instanceof SnapChunk sc) {
                        chunks.add(new long[] {transfers[0], sc.offset()});
                    } else {
                        transfers[0]++;
                    }
                });
        Hook<Action> cut = c.onAction(f1, a -> a instanceof Send s
                && s.message() instanceof SnapAck sa && sa.offset() >= 256
                && sa.offset() < SimStateMachine.SNAPSHOT_BYTES,
                x -> c.breakConnection(f1, leader));
        c.restart(f1);
        assertTrue(c.runUntil(() -> cut.fired() > 0, T), "F1 acked part of a SNAP: "
                + c.states());
        cut.remove();
        assertTrue(c.runUntil(() -> c.node(f1).core().isBroadcasting(), T),
                "F1 synced again: " + c.states());
        assertTrue(transfers[0] >= 2, "a second SNAP: " + transfers[0]);
        long firstOfSecond = chunks.stream().filter(ch -> ch[0] == 2).mapToLong(ch -> ch[1])
                .min().orElse(-1);
        assertTrue(firstOfSecond >= 256, "the second SNAP resumed after the acked part, not at"
                + " 0: its first chunk at " + firstOfSecond);
        settle(c);
    }

    /**
     * S05, ZOOKEEPER-3104: SNAP while writes are in flight; the follower crashes right after it
     * wrote the snapshot (before anything else of the sync). At restart the snapshot's state
     * must be exactly its zxid (the checker's SnapshotIntegrity) and a point of the chain.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void s05SnapshotCutIsConsistent(long seed) {
        SimCluster c = established(seed, SimOptions.defaults().historyMaxTxns(3));
        int leader = leaderId(c);
        int f1 = followers(c, leader).get(0);
        c.node(leader).snapshotEveryTxns(1); // its log no longer reaches back to F1
        c.crash(f1);
        for (int i = 0; i < 6; i++) {
            write(c, leader);
        }
        boolean[] written = new boolean[1];
        Hook<Action> snapshotWritten = c.onAction(f1, a -> a instanceof InstallSnapshot,
                x -> written[0] = true);
        Hook<Action> crashAfterAction = c.onAction(f1, a -> written[0]
                && a instanceof StorageAction && !(a instanceof InstallSnapshot),
                x -> c.crash(f1));
        Hook<io.zab.protocol.Event> crashAfterEvent = c.onEvent(f1, e -> written[0],
                x -> c.crash(f1));
        c.restart(f1);
        for (int i = 0; i < 500 && c.node(f1).isUp(); i++) {
            c.submit(leader);
            c.runFor(2);
        }
        assertFalse(c.node(f1).isUp(), "F1 crashed right after writing the snapshot");
        snapshotWritten.remove();
        crashAfterAction.remove();
        crashAfterEvent.remove();
        Zxid snap = c.node(f1).disk().snapshots().latest().orElseThrow().zxid();
        c.restart(f1);
        assertTrue(c.node(f1).stateMachine().lastZxid().equals(snap),
                "F1 restarted from its snapshot at " + snap);
        settle(c);
    }

    /**
     * S08 (SIM part): the leader is isolated for 3 x syncLimit while clients keep writing to it
     * and to the others; then the network heals. Nothing the isolated leader logged alone is
     * committed or kept; every acknowledged write is present (Scenarios.settle).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s08LeaderMinorityPartition(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults());
        int old = leaderId(c);
        writeFor(c, r, 300, 10);
        List<Zxid> alone = new ArrayList<>();
        boolean[] isolated = new boolean[1];
        c.onAction(old, a -> isolated[0] && a instanceof AppendTxns, x -> {
            for (Txn t : ((AppendTxns) x.item()).txns()) {
                alone.add(t.zxid());
            }
        });
        long oldEpoch = c.node(old).core().epoch();
        c.isolate(old);
        isolated[0] = true;
        List<SimRequest> toOld = new ArrayList<>();
        long end = c.now() + 3L * SYNC_LIMIT_MS * SimClock.MILLIS;
        while (c.now() < end) {
            for (int client = 0; client < 3; client++) {
                toOld.add(c.submit(old));
            }
            c.submit(followers(c, old).get(r.nextInt(2)));
            c.runFor(25);
        }
        isolated[0] = false;
        settle(c);
        assertTrue(c.leader().orElseThrow().core().epoch() > oldEpoch, "a new epoch");
        for (SimRequest w : toOld) {
            assertFalse(w.succeeded() && w.zxid().epoch() == oldEpoch && alone.contains(w.zxid()),
                    "the isolated leader acknowledged " + w);
        }
        for (Zxid z : alone) {
            if (z.epoch() == oldEpoch) {
                assertFalse(chainHas(c, z), z + " logged by the isolated leader alone committed");
                assertFalse(c.node(old).disk().durablyHolds(z) && z.isAfter(
                        c.node(old).disk().durableBase()), z + " still in the old leader's log");
            }
        }
    }

    /**
     * S10 (5 nodes): a txn commits with a minimal quorum (leader + 2 followers, the other two
     * cut off); the leader's COMMIT reaches exactly one follower, then the leader is isolated.
     * The follower delivered it, so every later leader must have it (Agreement).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s10CommitReachedOneFollower(long seed) {
        SimCluster c = established(seed, SimOptions.defaults().voters(5));
        int leader = leaderId(c);
        List<Integer> f = followers(c, leader);
        int a = f.get(0);
        int b = f.get(1);
        c.partition(Set.of(leader, a, b), Set.of(f.get(2), f.get(3)));
        write(c, leader);
        assertTrue(c.runUntil(() -> c.node(a).isIdle() && c.node(b).isIdle()
                && c.node(leader).isIdle(), T));
        int[] first = {0};
        Hook<Action> commits = c.onAction(leader, x -> sends(x, Commit.class), x -> {
            int to = ((Send) x.item()).to().value();
            if (first[0] == 0) {
                first[0] = to;
            } else if (to != first[0]) {
                x.drop();
                c.network().setBlocked(leader, to, true);
                c.network().setBlocked(to, leader, true);
            }
        });
        long before = c.checkers().chainLength();
        SimRequest w = c.submit(leader);
        Zxid[] zxid = new Zxid[1];
        assertTrue(c.runUntil(() -> {
            SimNode one = first[0] == 0 ? null : c.node(first[0]);
            if (one == null || one.stateMachine().count() <= before) {
                return false;
            }
            zxid[0] = one.stateMachine().lastZxid();
            return true;
        }, T), "one follower delivered the txn: " + c.states());
        commits.remove();
        c.isolate(leader);
        int other = first[0] == a ? b : a;
        assertFalse(c.node(other).stateMachine().lastZxid().equals(zxid[0]),
                "the other follower did not deliver " + zxid[0]);
        assertTrue(c.runUntil(() -> c.leader().filter(l -> l.id() != leader).isPresent(), T),
                "the four elect: " + c.states());
        write(c, c.leader().orElseThrow().id());
        settle(c);
        assertTrue(chainHas(c, zxid[0]), zxid[0] + " stays committed; " + w);
    }

    /**
     * S13: node m sees both others, which cannot see each other; the leader is at one end.
     * Within T a leader is stable and writes commit; over a minute at most two new epochs
     * (no election ping-pong).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void s13BridgePartition(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults());
        int leader = leaderId(c);
        List<Integer> f = followers(c, leader);
        int mid = f.get(0);
        int far = f.get(1);
        c.bridge(mid, Set.of(leader), Set.of(far));
        long leadersBefore = leadersSoFar(c);
        long minuteEnd = c.now() + 60 * SimClock.SECONDS;
        assertTrue(c.runUntil(() -> c.leader().isPresent(), T), "a leader: " + c.states());
        write(c, c.leader().orElseThrow().id());
        List<SimRequest> writes = writeFor(c, r, (minuteEnd - c.now()) / SimClock.MILLIS, 200);
        long newEpochs = leadersSoFar(c) - leadersBefore;
        assertTrue(newEpochs <= 2, newEpochs + " new epochs in a minute of bridge: "
                + c.states());
        long acked = writes.stream().filter(SimRequest::succeeded).count();
        assertTrue(acked > writes.size() / 2, "writes commit under the bridge: " + acked + "/"
                + writes.size());
        settle(c);
    }

    /**
     * S14: the leader can send but not receive (or receive but not send) for 60 s. It must lose
     * its quorum and a new leader must be elected within T; writes go on; no livelock.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s14OneWayLoss(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults());
        int old = leaderId(c);
        long oldEpoch = c.node(old).core().epoch();
        boolean deaf = seed % 2 == 1;
        for (int o : followers(c, old)) {
            if (deaf) {
                c.blockOneWay(o, old);
            } else {
                c.blockOneWay(old, o);
            }
        }
        long leadersBefore = leadersSoFar(c);
        assertTrue(c.runUntil(() -> c.node(old).core().role() != Role.LEADING,
                4L * SYNC_LIMIT_MS), "the " + (deaf ? "deaf" : "mute") + " leader stepped down: "
                + c.states());
        assertTrue(c.runUntil(() -> c.leader().filter(l -> l.id() != old
                && l.core().epoch() > oldEpoch).isPresent(), T), "a new leader: " + c.states());
        write(c, c.leader().orElseThrow().id());
        List<SimRequest> writes = writeFor(c, r, 60_000, 250);
        long acked = writes.stream().filter(SimRequest::succeeded).count();
        assertTrue(acked > writes.size() / 2, "writes commit: " + acked + "/" + writes.size());
        long newEpochs = leadersSoFar(c) - leadersBefore;
        assertTrue(newEpochs <= 3, newEpochs + " new epochs in the minute: " + c.states());
        settle(c);
    }

    /** Blocks both directions of every link of each clogged node. */
    private static void applyClogs(SimCluster c, Set<Integer> clogged) {
        for (SimNode a : c.nodes()) {
            for (SimNode b : c.nodes()) {
                if (a != b) {
                    c.network().setBlocked(a.id(), b.id(),
                            clogged.contains(a.id()) || clogged.contains(b.id()));
                }
            }
        }
    }

    /**
     * S16 (5 nodes): the links of three random nodes are clogged one by one over 3 s while
     * clients write and sync, then unclogged in random order. Safety throughout; progress
     * within T of the last unclog.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void s16SwizzleClog(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults().voters(5));
        List<Integer> order = new ArrayList<>(List.of(1, 2, 3, 4, 5));
        for (int i = order.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            order.set(i, order.set(j, order.get(i)));
        }
        Set<Integer> clogged = new TreeSet<>();
        for (int i = 0; i < 3; i++) {
            clogged.add(order.get(i));
            applyClogs(c, clogged);
            traffic(c, r, 1_000);
        }
        traffic(c, r, 2_000);
        List<Integer> unclog = new ArrayList<>(clogged);
        while (!unclog.isEmpty()) {
            clogged.remove(unclog.remove(r.nextInt(unclog.size())));
            applyClogs(c, clogged);
            traffic(c, r, 500 + r.nextLong(1_000));
        }
        settle(c);
    }

    /** Writes and syncs at random live nodes for {@code millis}. */
    private static void traffic(SimCluster c, SplittableRandom r, long millis) {
        long end = c.now() + millis * SimClock.MILLIS;
        while (c.now() < end) {
            List<SimNode> up = c.nodes().stream().filter(SimNode::isUp).toList();
            int node = up.get(r.nextInt(up.size())).id();
            if (r.nextInt(4) == 0) {
                c.sync(node);
            } else {
                c.submit(node);
            }
            c.runFor(10 + r.nextLong(40));
        }
    }

    /**
     * S17: the leader's process is frozen (SIGSTOP) for 6 x syncLimit while clients write to
     * both sides; the others elect. When it wakes, its buffered old-epoch work must not commit
     * (followers ignore it) and it rejoins as a follower of the new epoch.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void s17ZombieLeaderPause(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SimCluster c = established(seed, SimOptions.defaults());
        int old = leaderId(c);
        long oldEpoch = c.node(old).core().epoch();
        writeFor(c, r, 200, 10);
        List<Zxid> zombie = new ArrayList<>();
        boolean[] paused = new boolean[1];
        c.onAction(old, a -> paused[0] && a instanceof AppendTxns
                && c.node(old).core().role() == Role.LEADING, x -> {
                    for (Txn t : ((AppendTxns) x.item()).txns()) {
                        zombie.add(t.zxid());
                    }
                });
        c.pause(old, 6L * SYNC_LIMIT_MS);
        paused[0] = true;
        List<SimRequest> toZombie = new ArrayList<>();
        long end = c.now() + 6L * SYNC_LIMIT_MS * SimClock.MILLIS;
        while (c.now() < end) {
            toZombie.add(c.submit(old));
            List<Integer> f = followers(c, old);
            c.submit(f.get(r.nextInt(f.size())));
            c.runFor(50);
        }
        assertTrue(c.leader().filter(l -> l.id() != old).isPresent(),
                "the others elected during the pause: " + c.states());
        assertTrue(c.runUntil(() -> c.node(old).core().role() == Role.FOLLOWING
                && c.node(old).core().isBroadcasting(), T), "the zombie rejoins as follower: "
                + c.states());
        assertTrue(c.node(old).core().epoch() > oldEpoch);
        paused[0] = false;
        settle(c);
        for (Zxid z : zombie) {
            assertFalse(z.epoch() == oldEpoch && chainHas(c, z), "the zombie committed " + z);
        }
        for (SimRequest w : toZombie) {
            assertTrue(!w.succeeded() || w.zxid().epoch() > oldEpoch || chainHas(c, w.zxid()),
                    w.toString());
        }
    }

    /**
     * S18, ZOOKEEPER-1675: the leader is cut off without knowing it (frozen, or its sends
     * stall); client A writes through the new leader; client B asks the old leader for sync().
     * The sync must fail or include A's write (the LinearizableSync checker).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void s18StaleReadOnDeposedLeader(long seed) {
        SimCluster c = established(seed, SimOptions.defaults());
        int old = leaderId(c);
        write(c, old);
        boolean frozen = seed % 2 == 0;
        SimRequest b = null;
        if (frozen) {
            c.pause(old, 4_000);
        } else {
            for (int o : followers(c, old)) {
                c.blockOneWay(old, o);
            }
            b = c.sync(old);
        }
        assertTrue(c.runUntil(() -> c.leader().filter(l -> l.id() != old).isPresent(), T),
                "the others elect: " + c.states());
        SimRequest a = write(c, c.leader().orElseThrow().id());
        if (frozen) {
            b = c.sync(old);
        }
        SimRequest sync = b;
        assertTrue(c.runUntil(sync::isDone, T), "the old leader answered the sync: " + sync);
        assertTrue(a.succeeded());
        if (sync.succeeded()) {
            assertTrue(sync.outcome().zxid() == null || !sync.outcome().zxid().isBefore(a.zxid()),
                    "a sync that succeeded includes A's write " + a + ": " + sync);
        }
        settle(c);
    }
}
