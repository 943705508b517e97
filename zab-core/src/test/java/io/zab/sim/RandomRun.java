package io.zab.sim;

import io.zab.Zxid;
import io.zab.election.LeaderElection;
import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.CoreConfig;
import io.zab.protocol.Event;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.UpToDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One seed of the random simulation (VOPR-lite), in two phases as TigerBeetle's VOPR does:
 * <ol>
 *   <li>safety: clients write and sync at random nodes while faults come at random: crashes of
 *       one node (often the leader) or of all, partitions (symmetric, one-way, bridge,
 *       isolation), broken connections, process pauses (zombie leaders), slow periods; with
 *       wipes on, some crashed voters also lose their disk and restart as joining the
 *       existing cluster (S26). Every step is checked.</li>
 *   <li>liveness: faults stop, the network heals and every node restarts; within
 *       {@link #LIVENESS_MILLIS} a leader must be in broadcast and a new write acknowledged;
 *       then clients stop and within {@link #CONVERGE_MILLIS} every node must have delivered
 *       the same chain, with every acknowledged write and every request answered.</li>
 * </ol>
 * The cluster's shape (3 or 5 voters, an observer, limits, a small DIFF window, a small zxid
 * counter space) and the fault and client rates are drawn from the seed too ("swarm testing"),
 * so different seeds stress different paths.
 *
 * <p>One thread per run.
 */
public final class RandomRun {
    static final long LIVENESS_MILLIS = 10_000;
    static final long CONVERGE_MILLIS = 10_000;

    /** What one seed did. */
    public record Result(long seed, long virtualMicros, long steps, long requests,
            long acknowledged, int chainLength, String shape, SimStats stats) {
    }

    private final SimCluster cluster;
    private final SplittableRandom random;
    /**
     * Decides wipes from its own stream, so a seed's schedule without wipes is unchanged and
     * the regression seeds found before wipes existed replay as they did.
     */
    private final SplittableRandom wipeRandom;
    private final boolean wipes;
    /** Membership changes at random (grow, shrink, replace, remove the leader), or none. */
    private final SplittableRandom changeRandom;
    /** Catch-ups from the log and leader crashes during them (runLogSync), or none. */
    private final SplittableRandom logSyncRandom;
    /** No catch-up crash before this virtual time. */
    private long nextCatchUpCrash;
    private int changes;
    private final double writesPerSecond;
    private final double syncFraction;
    private final long meanFaultGapMicros;
    private final double baseSlow;
    private boolean faults = true;
    private boolean clients = true;
    private int partitionGen;
    private int slowGen;

    /** Which faults a run adds to the common ones. */
    private enum Mode { PLAIN, WIPES, CHANGES, LOG_SYNC }

    private RandomRun(long seed, Supplier<LeaderElection> election, Mode mode) {
        this.random = new SplittableRandom(seed);
        this.wipeRandom = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 26);
        this.wipes = mode == Mode.WIPES || mode == Mode.LOG_SYNC;
        this.changeRandom = mode == Mode.CHANGES ? new SplittableRandom(seed * 31 + 17) : null;
        this.logSyncRandom = mode == Mode.LOG_SYNC ? new SplittableRandom(seed * 131 + 7)
                : null;
        SimOptions o = swarm(random);
        if (changeRandom != null) {
            o.spares(1 + changeRandom.nextInt(2));
        }
        resources(o, new SplittableRandom(seed ^ 0x5DEECE66DL));
        if (logSyncRandom != null) {
            logSyncShape(o, logSyncRandom);
        }
        if (election != null) {
            o.election(election);
        }
        this.cluster = new SimCluster(seed, random, o);
        double writes = 1 + random.nextDouble() * 9;
        this.writesPerSecond = logSyncRandom == null ? writes
                : writes * (3 + logSyncRandom.nextInt(5));
        this.syncFraction = random.nextDouble() * 0.2;
        this.meanFaultGapMicros = (500 + random.nextLong(4_500)) * SimClock.MILLIS;
        this.baseSlow = o.slowMessageProbability;
        if (logSyncRandom != null) {
            armCatchUpCrashes();
        }
    }

    static SimOptions swarm(SplittableRandom r) {
        SimOptions o = SimOptions.defaults()
                .voters(r.nextInt(10) < 6 ? 3 : 5)
                .observers(r.nextInt(4) == 0 ? 1 : 0)
                .slowMessageProbability(r.nextDouble() * 0.05);
        if (r.nextInt(3) == 0) {
            o.limits(5 + r.nextInt(11), 2 + r.nextInt(7));
        }
        if (r.nextInt(4) == 0) {
            o.historyMaxTxns(2 + r.nextInt(40));
        }
        if (r.nextInt(5) == 0) {
            o.zxidCounterMax(10 + r.nextInt(200));
        }
        if (r.nextInt(6) == 0) {
            o.proposalsInflightMax(1 + r.nextInt(10));
        }
        return o;
    }

    /**
     * Bounded resources, drawn from a stream of their own so the other draws of a seed stay as
     * they were: tight learner windows (lagging learners, some dropped and resynced), small
     * in-flight and history budgets, requests that wait for a leader and for room, and
     * periodic snapshots that purge the log.
     */
    static void resources(SimOptions o, SplittableRandom r) {
        long history = r.nextInt(6) == 0 ? 64 + r.nextInt(8_192) : CoreConfig.HISTORY_MAX_BYTES;
        long inflight = r.nextInt(5) == 0 ? 16 + r.nextInt(4_096)
                : CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES;
        long window = r.nextInt(3) == 0 ? 16 + r.nextInt(2_048) : CoreConfig.LEARNER_WINDOW_BYTES;
        o.byteLimits(history, inflight, window);
        if (r.nextInt(3) == 0) {
            o.requestWaitTicks(1 + r.nextInt(30));
        }
        if (r.nextInt(3) == 0) {
            // Periodic snapshots, each purging the log: learners that come back from behind
            // the log get SNAP, the others DIFF from the log; purges meet reads under way.
            o.snapshotEveryTxns(1 + r.nextInt(300));
        }
    }

    /**
     * A short history, a window often small and, one seed in three, periodic snapshots far
     * enough apart that the log usually reaches back past the history (a purge now and then
     * makes some learners fall behind the log and get SNAP).
     */
    private static void logSyncShape(SimOptions o, SplittableRandom r) {
        o.historyMaxTxns(2 + r.nextInt(12));
        long window = r.nextBoolean() ? 64 + r.nextInt(2_048) : o.learnerWindowBytes;
        o.byteLimits(o.historyMaxBytes, o.proposalsInflightMaxBytes, window);
        o.snapshotEveryTxns(r.nextInt(3) == 0 ? 100 + r.nextInt(500) : 0);
        // Faster clients fill a tiny counter space before each new leader commits anything:
        // a livelock of acknowledgements (CoreBugReproTest, counter exhaustion), not the
        // catch-ups this mode is for.
        o.zxidCounterMax(Math.max(o.zxidCounterMax, 300));
    }

    /** Runs one seed for {@code runMillis} of virtual time; a failure throws. */
    public static Result run(long seed, long runMillis) {
        return new RandomRun(seed, null, Mode.PLAIN).execute(runMillis);
    }

    /**
     * With {@code wipes}, one crash in four of a voter also wipes its disk (at most one blank,
     * unsynced voter at a time: two would leave a 3-voter cluster without a quorum of voters
     * that may vote, which is unavailability by design, not a bug to find).
     */
    public static Result run(long seed, long runMillis, Supplier<LeaderElection> election,
            boolean wipes) {
        return new RandomRun(seed, election, wipes ? Mode.WIPES : Mode.PLAIN).execute(runMillis);
    }

    /**
     * With membership changes: one or two spare nodes (started to join) and, every few seconds
     * of virtual time, a change asked of a random live node: a random odd set of voters out of
     * the voters and spares (so the cluster grows, shrinks, replaces members and removes its
     * leader), mixed into the faults. Its own random stream decides them.
     */
    public static Result runWithMembershipChanges(long seed, long runMillis) {
        return new RandomRun(seed, null, Mode.CHANGES).execute(runMillis);
    }

    /** The same with another election, e.g. zab-election's FLE (a fresh one per node start). */
    public static Result runWithMembershipChanges(long seed, long runMillis,
            Supplier<LeaderElection> election) {
        return new RandomRun(seed, election, Mode.CHANGES).execute(runMillis);
    }

    /**
     * Catch-ups from the log under faults: a history in memory of a few txns (so a learner
     * back from a crash is synced from the leader's log, in windows often small), clients fast
     * enough to leave it far behind, wiped disks as with {@code wipes}, and leader crashes
     * timed at the steps of a catch-up (see {@link #armCatchUpCrashes}). Its own random stream
     * decides them, over the shape the seed draws otherwise.
     */
    public static Result runLogSync(long seed, long runMillis) {
        return new RandomRun(seed, null, Mode.LOG_SYNC).execute(runMillis);
    }

    /** The same with another election, e.g. zab-election's FLE (a fresh one per node start). */
    public static Result run(long seed, long runMillis, Supplier<LeaderElection> election) {
        return new RandomRun(seed, election, Mode.PLAIN).execute(runMillis);
    }

    private Result execute(long runMillis) {
        long safetyMillis = Math.max(0, runMillis - LIVENESS_MILLIS - CONVERGE_MILLIS);
        scheduleClient();
        scheduleFault();
        if (changeRandom != null) {
            scheduleChange();
        }
        cluster.runFor(safetyMillis);
        livenessPhase();
        SimOptions o = cluster.options();
        return new Result(cluster.seed(), cluster.now(), cluster.clock().steps(),
                cluster.requests().size(), cluster.checkers().ackedWrites(),
                cluster.checkers().chainLength(), o.toString(), cluster.stats());
    }

    private void livenessPhase() {
        faults = false;
        cluster.heal();
        cluster.network().setSlowProbability(baseSlow);
        for (SimNode n : cluster.nodes()) {
            if (!n.isUp()) {
                cluster.restart(n.id());
            }
        }
        long healedAt = cluster.now();
        cluster.trace().add(healedAt, 0, "LIVENESS phase: faults off, all healed", null, null);
        scheduleProbeWrite(new SplittableRandom(cluster.seed() ^ 0x11FE));
        boolean live = cluster.runUntil(() -> cluster.leader().isPresent()
                && cluster.checkers().latestAckedInvocation() >= healedAt, LIVENESS_MILLIS);
        if (!live) {
            throw cluster.failure("Liveness", "no leader in broadcast with a new write"
                    + " acknowledged within " + LIVENESS_MILLIS + " ms of the heal");
        }
        clients = false;
        if (!cluster.runUntil(cluster::converged, CONVERGE_MILLIS)) {
            throw cluster.failure("Convergence", "not converged " + CONVERGE_MILLIS
                    + " ms after clients stopped: " + cluster.convergenceProblem());
        }
        cluster.checkInvariants();
        cluster.guard(cluster.checkers()::checkAcknowledgedWritesEverywhere);
    }

    /**
     * After the heal, a write to a random member every second besides the seed's clients: at
     * the lowest drawn rates they alone may send no write to a member in the whole liveness
     * window (seed 512211: one sync in 10 s). Its own random, so the seed's draws stay as they
     * were.
     */
    private void scheduleProbeWrite(SplittableRandom r) {
        cluster.clock().after(SimClock.SECONDS, () -> {
            if (clients) {
                List<SimNode> members = upMembers();
                if (!members.isEmpty()) {
                    cluster.submitGenerated(members.get(r.nextInt(members.size())).id(), 0);
                }
                scheduleProbeWrite(r);
            }
        });
    }

    private long exponential(double meanMicros) {
        return 1 + (long) (-Math.log(1 - random.nextDouble()) * meanMicros);
    }

    private long between(long loMillis, long hiMillis) {
        return (loMillis + random.nextLong(hiMillis - loMillis + 1)) * SimClock.MILLIS;
    }

    // ---- clients ----

    private void scheduleClient() {
        cluster.clock().after(exponential(SimClock.SECONDS / writesPerSecond), () -> {
            if (clients) {
                clientRequest();
                scheduleClient();
            }
        });
    }

    private void clientRequest() {
        List<SimNode> up = faults ? upNodes() : upMembers();
        if (up.isEmpty()) {
            return;
        }
        int outstanding = 0;
        for (SimNode n : up) {
            outstanding += n.pending.size();
        }
        if (outstanding > 200) {
            return;
        }
        SimNode n = up.get(random.nextInt(up.size()));
        double p = random.nextDouble();
        if (p < syncFraction) {
            cluster.sync(n.id());
        } else if (p < syncFraction + 0.01) {
            cluster.submitGenerated(n.id(), cluster.options().maxTxnBytes);
        } else {
            cluster.submitGenerated(n.id(), 0);
        }
    }

    /**
     * After the heal, the up nodes that are members of the newest committed membership any up
     * node knows: liveness asks that writes sent to members succeed. A removed node only
     * refuses (never applied); with most nodes removed and few writes, every write of the
     * liveness window could land on one (seed 200778: 4 of 7 removed, 6 writes in 10 s).
     */
    private List<SimNode> upMembers() {
        List<SimNode> up = upNodes();
        io.zab.Membership newest = null;
        for (SimNode n : up) {
            io.zab.Membership m = n.core().membership();
            if (newest == null || m.version().isAfter(newest.version())) {
                newest = m;
            }
        }
        List<SimNode> members = new ArrayList<>();
        for (SimNode n : up) {
            if (newest == null || newest.contains(io.zab.PeerId.of(n.id()))) {
                members.add(n);
            }
        }
        return members;
    }

    private List<SimNode> upNodes() {
        List<SimNode> up = new ArrayList<>();
        for (SimNode n : cluster.nodes()) {
            if (n.isUp()) {
                up.add(n);
            }
        }
        return up;
    }

    // ---- membership changes ----

    private void scheduleChange() {
        cluster.clock().after((2_000 + changeRandom.nextLong(8_000)) * SimClock.MILLIS, () -> {
            if (faults) {
                changeMembership();
                scheduleChange();
            }
        });
    }

    /** Asks a random live node for a random odd set of voters; observers stay observers. */
    private void changeMembership() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return;
        }
        SimOptions o = cluster.options();
        List<Integer> candidates = new ArrayList<>();
        for (int id = 1; id <= o.nodeCount(); id++) {
            if (id <= o.voters || id > o.voters + o.observers) {
                candidates.add(id);
            }
        }
        int size = candidates.size() >= 5 && changeRandom.nextBoolean() ? 5 : 3;
        java.util.Map<io.zab.PeerId, String> voters = new java.util.TreeMap<>();
        while (voters.size() < size) {
            voters.put(io.zab.PeerId.of(candidates.get(changeRandom.nextInt(candidates.size()))),
                    "");
        }
        java.util.Map<io.zab.PeerId, String> observers = new java.util.TreeMap<>();
        for (int id = o.voters + 1; id <= o.voters + o.observers; id++) {
            observers.put(io.zab.PeerId.of(id), "");
        }
        SimNode at = up.get(changeRandom.nextInt(up.size()));
        changes++;
        cluster.stats().membershipChanges++;
        cluster.changeMembership(at.id(), new io.zab.Membership(io.zab.Zxid.ZERO, voters,
                observers), 20 + changeRandom.nextInt(60)); // answered within CONVERGE_MILLIS
    }

    // ---- faults ----

    private void scheduleFault() {
        cluster.clock().after(exponential(meanFaultGapMicros), () -> {
            if (faults) {
                injectFault();
                scheduleFault();
            }
        });
    }

    private void injectFault() {
        if (logSyncRandom != null && logSyncRandom.nextInt(4) != 0) {
            // With catch-up faults, most faults leave a follower behind a leader that stays:
            // one back from an earlier epoch lacks txns of it only the log holds (SNAP).
            crashOne();
            return;
        }
        int w = random.nextInt(100);
        if (w < 28) {
            crashOne();
        } else if (w < 30) {
            crashAll();
        } else if (w < 42) {
            splitRandomly();
        } else if (w < 52) {
            isolate();
        } else if (w < 62) {
            oneWay();
        } else if (w < 68) {
            bridge();
        } else if (w < 84) {
            breakConnection();
        } else if (w < 92) {
            pauseOne();
        } else {
            slowPeriod();
        }
    }

    /** A node, the leader in broadcast half the time when there is one. */
    private int pickTarget(List<SimNode> candidates) {
        Optional<SimNode> leader = cluster.leader();
        if (leader.isPresent() && random.nextBoolean()) {
            return leader.get().id();
        }
        return candidates.get(random.nextInt(candidates.size())).id();
    }

    private void crashOne() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return;
        }
        crash(logSyncRandom != null ? pickLagging(up) : pickTarget(up));
    }

    /**
     * With catch-up faults, a node other than the leader four times in five: it comes back
     * behind a leader of the same epoch, the case DIFF from the log serves (one back from an
     * earlier epoch lacks txns of it that only the log holds, and gets SNAP).
     */
    private int pickLagging(List<SimNode> up) {
        Optional<SimNode> leader = cluster.leader();
        List<SimNode> others = new ArrayList<>(up);
        leader.ifPresent(others::remove);
        if (others.isEmpty() || logSyncRandom.nextInt(5) == 0) {
            return up.get(logSyncRandom.nextInt(up.size())).id();
        }
        return others.get(logSyncRandom.nextInt(others.size())).id();
    }

    /** Crashes {@code id}, sometimes wiping its disk, and restarts it a little later. */
    private void crash(int id) {
        cluster.crash(id);
        if (wipes && wipeRandom.nextInt(4) == 0 && mayWipe(id)) {
            cluster.stats().wipes++;
            cluster.wipe(id);
        }
        scheduleRestart(id, between(100, 8_000));
    }

    private boolean mayWipe(int id) {
        if (!cluster.node(id).isVoter()) {
            return false;
        }
        for (SimNode n : cluster.voters()) {
            if (n.id() != id && n.abstains()) {
                return false;
            }
        }
        return true;
    }

    /** A zombie: often the leader, frozen long enough for the others to move on. */
    private void pauseOne() {
        List<SimNode> candidates = new ArrayList<>();
        for (SimNode n : upNodes()) {
            if (!n.isPaused()) {
                candidates.add(n);
            }
        }
        if (!candidates.isEmpty()) {
            int id = pickTarget(candidates);
            if (cluster.node(id).isPaused()) {
                return;
            }
            boolean leader = cluster.leader().map(l -> l.id() == id).orElse(false);
            long millis = 200 + random.nextLong(4_800);
            cluster.pause(id, millis);
            if (leader && millis > 1_500) {
                // S18: a client reads through the zombie while the others moved on.
                cluster.clock().after((millis - 1) * SimClock.MILLIS, () -> {
                    if (clients && cluster.node(id).isUp()) {
                        cluster.sync(id);
                    }
                });
            }
        }
    }

    /**
     * Leader crashes at the steps of a catch-up from the log: its read asked for (before that
     * window is served), a read come back (mid-way), the learner's ACK of NEWLEADER (its
     * currentEpoch saved, its log short), its UPTODATE while it still lacks committed txns.
     * Each step crashes the leader one time in six, at most one crash every two seconds, so
     * that catch-ups also finish.
     */
    private void armCatchUpCrashes() {
        // learner -> the leader whose NEWLEADER left it to be fed from the log: that NEWLEADER
        // names the learner's own last zxid, below what the leader committed; one after a
        // DIFF from memory names the leader's last logged (a follower) or committed zxid.
        Map<Integer, Integer> fromLog = new HashMap<>();
        cluster.onAction(0, a -> a instanceof Send s && s.message() instanceof NewLeader, x -> {
            Send s = (Send) x.item();
            Zxid named = ((NewLeader) s.message()).lastZxid();
            if (named.isBefore(x.node().core().lastCommittedZxid())) {
                fromLog.put(s.to().value(), x.node().id());
            } else {
                fromLog.remove(s.to().value());
            }
        });
        cluster.onAction(0, a -> a instanceof Action.ReadLog, x -> maybeCrashLeader(x.node()));
        cluster.onEvent(0, e -> e instanceof Event.LogRead, x -> maybeCrashLeader(x.node()));
        cluster.onEvent(0, e -> e instanceof Event.Received r
                && r.message() instanceof AckNewLeader, x -> {
                    int learner = ((Event.Received) x.item()).from().value();
                    if (fromLog.getOrDefault(learner, 0) == x.node().id()) {
                        maybeCrashLeader(x.node());
                    }
                });
        cluster.onEvent(0, e -> e instanceof Event.Received r
                && r.message() instanceof UpToDate, x -> {
                    Event.Received r = (Event.Received) x.item();
                    Zxid committed = ((UpToDate) r.message()).committedZxid();
                    if (fromLog.getOrDefault(x.node().id(), 0) == r.from().value()
                            && x.node().core().lastLoggedZxid().isBefore(committed)) {
                        maybeCrashLeader(cluster.node(r.from().value()));
                    }
                });
    }

    private void maybeCrashLeader(SimNode leader) {
        if (!faults || !leader.isUp() || cluster.now() < nextCatchUpCrash
                || logSyncRandom.nextInt(6) != 0) {
            return;
        }
        nextCatchUpCrash = cluster.now() + 2 * SimClock.SECONDS;
        cluster.stats().catchUpCrashes++;
        cluster.trace().add(cluster.now(), leader.id(), "CRASH at a catch-up from the log", null,
                null);
        crash(leader.id());
    }

    private void crashAll() {
        for (SimNode n : upNodes()) {
            cluster.crash(n.id());
            scheduleRestart(n.id(), between(100, 5_000));
        }
    }

    private void scheduleRestart(int id, long delay) {
        cluster.clock().after(delay, () -> {
            if (faults && !cluster.node(id).isUp()) {
                cluster.restart(id);
            }
        });
    }

    private void healLater() {
        int gen = ++partitionGen;
        cluster.clock().after(between(300, 8_000), () -> {
            if (faults && gen == partitionGen) {
                cluster.heal();
            }
        });
    }

    private void splitRandomly() {
        int n = cluster.nodes().size();
        Set<Integer> a = new TreeSet<>();
        Set<Integer> b = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            (random.nextBoolean() ? a : b).add(i);
        }
        if (a.isEmpty() || b.isEmpty()) {
            return;
        }
        cluster.partition(a, b);
        healLater();
    }

    private void isolate() {
        cluster.isolate(pickTarget(cluster.nodes()));
        healLater();
    }

    /** One node cannot send to the others (or cannot hear them), or one single link is cut. */
    private void oneWay() {
        int n = cluster.nodes().size();
        int target = pickTarget(cluster.nodes());
        int kind = random.nextInt(3);
        for (int other = 1; other <= n; other++) {
            if (other == target) {
                continue;
            }
            if (kind == 0) {
                cluster.blockOneWay(target, other);
            } else if (kind == 1) {
                cluster.blockOneWay(other, target);
            } else {
                cluster.blockOneWay(target, other);
                break;
            }
        }
        healLater();
    }

    private void bridge() {
        int n = cluster.nodes().size();
        int mid = 1 + random.nextInt(n);
        Set<Integer> left = new TreeSet<>();
        Set<Integer> right = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            if (i != mid) {
                (random.nextBoolean() ? left : right).add(i);
            }
        }
        if (left.isEmpty() || right.isEmpty()) {
            return;
        }
        cluster.bridge(mid, left, right);
        healLater();
    }

    private void breakConnection() {
        int n = cluster.nodes().size();
        int a = 1 + random.nextInt(n);
        int b = 1 + random.nextInt(n - 1);
        if (b >= a) {
            b++;
        }
        cluster.breakConnection(a, b);
    }

    private void slowPeriod() {
        int gen = ++slowGen;
        cluster.network().setSlowProbability(0.2 + random.nextDouble() * 0.6);
        cluster.trace().add(cluster.now(), 0, "network slow", null, null);
        cluster.clock().after(between(500, 5_000), () -> {
            if (faults && gen == slowGen) {
                cluster.network().setSlowProbability(baseSlow);
            }
        });
    }
}
