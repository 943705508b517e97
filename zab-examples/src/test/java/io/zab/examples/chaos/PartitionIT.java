package io.zab.examples.chaos;

import io.zab.examples.chaos.ScenarioRun.Writer;
import io.zab.examples.chaos.ScenarioRun.Writer.Sent;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The REAL network-partition and process-freeze scenarios of RELIABILITY.md, one test each, a
 * fixed schedule against {@code server} processes (3, or 5 for S16) cut apart by iptables
 * ({@link Firewall}: only the quorum ports, so clients still reach every node's HTTP API):
 * <ul>
 *   <li>S08 leader minority partition: the leader is isolated while a client keeps writing to
 *       it and another writes to the majority; the majority elects a leader in a higher epoch;
 *       nothing the old leader was sent after the cut is acknowledged in its old epoch or
 *       survives (its un-quorumed proposals are truncated); after the heal it follows.
 *       Meanwhile 3 clients read, write and compare-and-set one register through every node,
 *       the isolated leader included, and that history must be linearizable.</li>
 *   <li>S13 bridge: the leader and one follower cannot see each other, the other follower sees
 *       both; over the window the epoch changes at most twice and writes keep committing.</li>
 *   <li>S16 swizzle-clog (5 nodes): 3 random nodes are cut off one by one, then brought back in
 *       random order; writes commit again after the last heal.</li>
 *   <li>S17 zombie leader: the leader is frozen (SIGSTOP) for 4 s, 4 times syncLimit; the
 *       others elect; after SIGCONT no write sent to it from the freeze on is acknowledged in
 *       the old epoch, and it follows in the new one.</li>
 *   <li>S18 stale read: the leader is frozen and cut off, so it cannot know it is deposed; a
 *       client writes k=new through the new leader; linearizable reads of k on the old leader
 *       (queued while it was frozen, and sent right after it resumes) fail or return new, never
 *       old. Its plain reads do return old: the sync is what makes the difference.</li>
 * </ul>
 * Every scenario ends with convergence (same digest and applied zxid everywhere), every
 * acknowledged key read back on every node and every write answered 503 absent everywhere. A
 * failure keeps the node logs and data directories in the printed directory.
 *
 * <p>Needs root (iptables, installed with apt-get when missing).
 */
class PartitionIT {
    @org.junit.jupiter.api.BeforeAll
    static void needsRoot() {
        HostTools.assumeRoot("PartitionIT",
                "iptables (installed with apt-get when missing)");
    }

    private static final Duration SYNC_LIMIT = ProcessCluster.SYNC_LIMIT;
    private static final Duration BRIDGE_WINDOW = Duration.ofSeconds(24);
    private static final Duration PAUSE = Duration.ofSeconds(4);
    /**
     * Milliseconds between a writer's requests: every key is read back on every node at the
     * end, so fewer keys keep the suite short; a few per second per writer still cover each
     * phase of a schedule.
     */
    private static final long PACE = 60;
    private static final Pattern LAST_ZXID = Pattern.compile("\"lastZxid\":\"(0x\\w+)\"");

    /** S08: the isolated leader's writes are never acknowledged and lost. */
    @Test
    void s08LeaderMinorityPartition() throws Exception {
        // The catalogue's register: 3 clients read, write and compare-and-set one key through
        // random nodes, the isolated leader among them, from the cut to the heal.
        try (ScenarioRun r = new ScenarioRun("partition", "s08", 3, 0);
                Workload register = new Workload(r.c, List.of("register"), 3, 8, r.started)) {
            BothSides sides = BothSides.start(r);
            int l = sides.leader();
            long e0 = sides.epoch();
            Writer old = sides.old();
            Writer maj = sides.majority();
            register.start();
            r.c.isolate(l);
            long cutAt = System.nanoTime();
            String atCut = ProcessCluster.field(LAST_ZXID, r.status(l));
            // Proposals the old leader takes after the cut: no quorum can ever ack them.
            Burst cut = new Burst(r, l, "cut", 6);
            r.note("leader " + l + " (epoch " + e0 + ") isolated; " + cut.size()
                    + " writes sent to it at once");
            int l2 = awaitNewLeader(r, l, e0);
            long e1 = r.epochOf(l2);
            r.await("writes acknowledged in an epoch after " + e0 + " by the majority",
                    () -> maj.ackedAfter(e0) >= 5);
            sleepUntil(cutAt + 3 * SYNC_LIMIT.toNanos());
            String beforeHeal = ProcessCluster.field(LAST_ZXID, r.status(l));
            long healAt = System.nanoTime();
            r.c.healNetwork();
            r.note("healed after " + (healAt - cutAt) / 1_000_000 + " ms");
            awaitFollowing(r, l, e0);
            old.finish();
            maj.finish();
            register.stop();
            List<Sent> cutOff = new ArrayList<>(cut.join());
            old.sent().stream().filter(s -> s.sentNanos() - cutAt > 0
                    && s.sentNanos() - healAt < 0).forEach(cutOff::add);
            r.finish();
            r.checkRefusedAbsent();
            int truncated = checkNoneSurvives(r, cutOff, e0, "isolated");
            List<Op> history = register.history();
            history.addAll(register.finalReads());
            writeHistory(r, history);
            List<LinearizabilityChecker.Result> verdict = register.checkLinearizable(history);
            r.passed();
            long unknownCut = cutOff.stream().filter(s -> r.unknown.containsKey(s.key()))
                    .count();
            System.out.printf("S08: leader %d isolated in epoch %d (last logged zxid %s at the"
                    + " cut, %s before the heal); node %d leads epoch %d; %d writes sent to %d"
                    + " while cut off, none acknowledged, all %d absent everywhere (%d of them"
                    + " 504, i.e. possibly proposed and truncated); %d acknowledged in all;"
                    + " converged; register %s: %s%n", l, e0, atCut, beforeHeal, l2, e1,
                    cutOff.size(), l, truncated, unknownCut, r.acked.size(), register.summary(),
                    verdict);
        }
    }

    /** The register's history, sorted by invocation, beside the logs (deleted on success). */
    private static void writeHistory(ScenarioRun r, List<Op> history) throws IOException {
        List<String> lines = new ArrayList<>();
        history.stream().sorted(Comparator.comparingLong(Op::invoked))
                .forEach(op -> lines.add(op.toString()));
        Files.write(r.root.resolve("history.txt"), lines);
    }

    /**
     * The start of S08 and S17: a few writes, then one writer on the leader ({@code old}) and
     * one on the other two ({@code majority}), until the leader has acknowledged some.
     */
    private record BothSides(int leader, long epoch, Writer old, Writer majority) {
        static BothSides start(ScenarioRun r) throws Exception {
            int l = r.leader();
            long e0 = r.epochOf(l);
            int[] others = othersThan(l, 3);
            r.writeAll(l, "pre", 5, "p");
            Writer old = new Writer(r, "old", i -> l, PACE);
            Writer maj = new Writer(r, "maj", i -> others[i % 2], PACE);
            old.start();
            maj.start();
            long t0 = System.nanoTime();
            r.await("writes acknowledged through leader " + l, () -> old.ackedSince(t0) >= 3);
            return new BothSides(l, e0, old, maj);
        }
    }

    /** S13: a bridge node between two that cannot see each other causes no ping-pong. */
    @Test
    void s13BridgePartition() throws Exception {
        try (ScenarioRun r = new ScenarioRun("partition", "s13", 3, 0)) {
            int l = r.leader();
            int[] others = othersThan(l, 3);
            int bridge = others[0];
            int cutOff = others[1];
            r.writeAll(l, "pre", 5, "p");
            r.c.cut(l, cutOff);
            r.note("leader " + l + " and node " + cutOff + " cut apart; node " + bridge
                    + " sees both");
            Writer w = new Writer(r, "w", i -> i % 2 == 0 ? l : bridge, PACE);
            w.start();
            long start = System.nanoTime();
            Set<Long> epochs = new TreeSet<>();
            Map<Integer, Integer> lookingPolls = new TreeMap<>();
            List<Integer> leaders = new ArrayList<>();
            while (System.nanoTime() - start < BRIDGE_WINDOW.toNanos()) {
                for (int id = 1; id <= 3; id++) {
                    String s = r.status(id);
                    String role = ProcessCluster.field(ScenarioRun.ROLE, s);
                    if ("LEADING".equals(role) || "FOLLOWING".equals(role)) {
                        epochs.add(Long.parseLong(ProcessCluster.field(ScenarioRun.EPOCH, s)));
                    } else {
                        lookingPolls.merge(id, 1, Integer::sum);
                    }
                    if (r.c.leads(id) && (leaders.isEmpty()
                            || leaders.get(leaders.size() - 1) != id)) {
                        leaders.add(id);
                    }
                }
                Thread.sleep(250);
            }
            w.finish();
            long third = BRIDGE_WINDOW.toNanos() / 3;
            long[] perThird = new long[3];
            for (Sent s : w.sent()) {
                long k = (s.sentNanos() - start) / third;
                if (s.zxid() != null && k >= 0 && k < 3) {
                    perThird[(int) k]++;
                }
            }
            r.note("epochs seen " + epochs + ", leaders in turn " + leaders
                    + ", polls not in broadcast per node " + lookingPolls + ", acks per "
                    + third / 1_000_000_000 + " s " + Arrays.toString(perThird));
            if (epochs.size() > 3) {
                r.fail("election ping-pong across the bridge: epochs " + epochs + " in "
                        + BRIDGE_WINDOW.toSeconds() + " s (more than 2 changes), leaders "
                        + leaders);
            }
            for (int k = 0; k < 3; k++) {
                if (perThird[k] == 0) {
                    r.fail("no write committed in third " + (k + 1) + " of the "
                            + BRIDGE_WINDOW.toSeconds() + " s bridge window: "
                            + Arrays.toString(perThird));
                }
            }
            r.c.healNetwork();
            r.finish();
            r.checkRefusedAbsent();
            r.passed();
            System.out.printf("S13: leader %d, bridge %d, %d cut off from the leader: epochs %s,"
                    + " leaders %s, %s acks per third of %d s%n", l, bridge, cutOff, epochs,
                    leaders, Arrays.toString(perThird), BRIDGE_WINDOW.toSeconds());
        }
    }

    /** S16: 3 of 5 nodes cut off one by one, brought back in random order; progress after. */
    @Test
    void s16SwizzleClog() throws Exception {
        long seed = Long.getLong("partition.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try (ScenarioRun r = new ScenarioRun("partition", "s16", 5, 0)) {
            r.note("seed " + seed + " (-Dpartition.seed to repeat)");
            r.leader();
            Writer w = new Writer(r, "w", i -> 1 + i % 5, PACE);
            w.start();
            long t0 = System.nanoTime();
            r.await("writes committing", () -> w.ackedSince(t0) >= 5);
            List<Integer> all = new ArrayList<>(List.of(1, 2, 3, 4, 5));
            Collections.shuffle(all, rnd);
            List<Integer> clogOrder = List.copyOf(all.subList(0, 3));
            Set<Integer> clogged = new TreeSet<>();
            for (int v : clogOrder) {
                r.c.isolate(v);
                clogged.add(v);
                r.note("node " + v + " cut off; cut now " + r.c.cutLinks());
                Thread.sleep(1_500);
            }
            List<Integer> unclogOrder = new ArrayList<>(clogOrder);
            Collections.shuffle(unclogOrder, rnd);
            for (int v : unclogOrder) {
                clogged.remove(v);
                for (int b = 1; b <= 5; b++) {
                    if (b != v && !clogged.contains(b)) {
                        r.c.restore(v, b);
                    }
                }
                r.note("node " + v + " back; cut now " + r.c.cutLinks());
                if (!clogged.isEmpty()) {
                    Thread.sleep(1_500);
                }
            }
            if (!r.c.cutLinks().equals("[]")) {
                r.fail("links still cut after bringing every node back: " + r.c.cutLinks());
            }
            long healed = System.nanoTime();
            r.await("5 writes acknowledged after the last heal",
                    () -> w.ackedSince(healed) >= 5, Duration.ofSeconds(30));
            w.finish();
            r.finish();
            r.checkRefusedAbsent();
            r.passed();
            System.out.printf("S16: seed %d, cut off %s, back %s; %d writes acknowledged,"
                    + " %d refused, %d unknown; converged%n", seed, clogOrder, unclogOrder,
                    r.acked.size(), r.refused.size(), r.unknown.size());
        }
    }

    /** S17: a frozen leader resumes and commits nothing in its old epoch. */
    @Test
    void s17ZombieLeaderPause() throws Exception {
        try (ScenarioRun r = new ScenarioRun("partition", "s17", 3, 0)) {
            BothSides sides = BothSides.start(r);
            int l = sides.leader();
            long e0 = sides.epoch();
            Writer old = sides.old();
            Writer maj = sides.majority();
            r.c.pause(l);
            long pausedAt = System.nanoTime();
            r.note("leader " + l + " (epoch " + e0 + ") frozen");
            int l2 = awaitNewLeader(r, l, e0);
            r.await("writes acknowledged in an epoch after " + e0 + " by the majority",
                    () -> maj.ackedAfter(e0) >= 3);
            sleepUntil(pausedAt + PAUSE.toNanos() - Duration.ofSeconds(1).toNanos());
            // Queued in the frozen process's sockets: served the moment it runs again.
            Burst frozen = new Burst(r, l, "frozen", 6);
            sleepUntil(pausedAt + PAUSE.toNanos());
            r.c.resume(l);
            Burst resumed = new Burst(r, l, "resumed", 6);
            r.note("leader " + l + " resumed; " + frozen.size() + " writes queued in it, "
                    + resumed.size() + " sent right after");
            awaitFollowing(r, l, e0);
            old.finish();
            maj.finish();
            List<Sent> toZombie = new ArrayList<>(frozen.join());
            toZombie.addAll(resumed.join());
            old.sent().stream().filter(s -> s.sentNanos() - pausedAt > 0).forEach(toZombie::add);
            for (Sent s : toZombie) {
                if (s.zxid() != null && (s.zxid() >>> 32) <= e0) {
                    r.fail("node " + l + " acknowledged " + s.key() + " as "
                            + ScenarioRun.hex(s.zxid()) + ", in its old epoch " + e0
                            + ", after it was frozen and node " + l2 + " took over");
                }
            }
            r.finish();
            r.checkRefusedAbsent();
            r.passed();
            System.out.printf("S17: leader %d frozen %d ms in epoch %d; node %d took over in"
                    + " epoch %d; of %d writes sent to %d from the freeze on: %d acknowledged"
                    + " (all in a later epoch), %d refused; it follows again; converged%n", l,
                    PAUSE.toMillis(), e0, l2, r.epochOf(l2), toZombie.size(), l,
                    toZombie.stream().filter(s -> s.zxid() != null).count(),
                    toZombie.stream().filter(s -> r.refused.containsKey(s.key())).count());
        }
    }

    /** S18: a deposed leader that does not know it yet serves no stale linearizable read. */
    @Test
    void s18StaleReadOnDeposedLeader() throws Exception {
        try (ScenarioRun r = new ScenarioRun("partition", "s18", 3, 0)) {
            int l = r.leader();
            long e0 = r.epochOf(l);
            putUntilAcked(r, l, "k", "old");
            r.await("k=old on every node", () -> r.hasLocally(1, List.of("k"))
                    && r.hasLocally(2, List.of("k")) && r.hasLocally(3, List.of("k")));
            // Frozen before the cut, so it cannot notice the cut before it runs again.
            r.c.pause(l);
            r.c.isolate(l);
            r.note("leader " + l + " (epoch " + e0 + ") frozen and isolated");
            int l2 = awaitNewLeader(r, l, e0);
            putUntilAcked(r, l2, "k", "new");
            r.note("client A: k=new acknowledged by node " + l2);
            Reads queued = new Reads(r, l, true, 3);
            Thread.sleep(300);
            r.c.resume(l);
            Reads lin = new Reads(r, l, true, 4);
            Reads plain = new Reads(r, l, false, 4);
            r.note("node " + l + " resumed with linearizable reads queued and sent");
            List<String> linAnswers = new ArrayList<>(queued.join());
            linAnswers.addAll(lin.join());
            List<String> plainAnswers = plain.join();
            r.note("linearizable reads on " + l + ": " + linAnswers + "; plain reads: "
                    + plainAnswers);
            for (String a : linAnswers) {
                if (a.equals("200 old")) {
                    r.fail("client B read the stale k=old with ?linearizable=true on the deposed"
                            + " leader " + l + " after k=new was acknowledged by " + l2 + ": "
                            + linAnswers);
                }
            }
            r.c.healNetwork();
            awaitFollowing(r, l, e0);
            r.await("a linearizable read of k=new on node " + l,
                    () -> read(r, l, true).equals("200 new"));
            r.finish();
            r.passed();
            long stalePlain = plainAnswers.stream().filter(a -> a.equals("200 old")).count();
            System.out.printf("S18: deposed leader %d: linearizable reads %s (none stale);"
                    + " %d of %d plain reads returned the stale k=old%n", l, linAnswers,
                    stalePlain, plainAnswers.size());
        }
    }

    private static int[] othersThan(int l, int n) {
        int[] out = new int[n - 1];
        int k = 0;
        for (int id = 1; id <= n; id++) {
            if (id != l) {
                out[k++] = id;
            }
        }
        return out;
    }

    /** A node other than {@code except} leading in an epoch after {@code epoch}. */
    private static int awaitNewLeader(ScenarioRun r, int except, long epoch) throws Exception {
        int[] found = {0};
        r.await("a leader other than node " + except + " in an epoch after " + epoch, () -> {
            for (int id = 1; id <= r.n; id++) {
                if (id != except && r.c.leads(id) && r.epochOf(id) > epoch) {
                    found[0] = id;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The old leader {@code id} follows in an epoch after {@code epoch}. */
    private static void awaitFollowing(ScenarioRun r, int id, long epoch) throws Exception {
        r.await("node " + id + " following in an epoch after " + epoch,
                () -> "FOLLOWING".equals(r.roleOf(id)) && r.epochOf(id) > epoch);
    }

    /**
     * None of {@code writes} (sent to an old leader of epoch {@code e0} while it was cut off)
     * was acknowledged in epoch {@code e0}, and none of the unacknowledged ones is on any node.
     * Returns how many were checked absent.
     */
    private static int checkNoneSurvives(ScenarioRun r, List<Sent> writes, long e0, String how)
            throws Exception {
        int absent = 0;
        for (Sent s : writes) {
            if (s.zxid() != null) {
                if ((s.zxid() >>> 32) <= e0) {
                    r.fail("node " + s.node() + " acknowledged " + s.key() + " as "
                            + ScenarioRun.hex(s.zxid()) + " in epoch " + e0 + " while " + how);
                }
                continue;
            }
            for (int id = 1; id <= r.n; id++) {
                String got = r.get(id, s.key());
                if (got != null) {
                    r.fail(s.key() + ", sent to node " + s.node() + " while " + how + " and never"
                            + " acknowledged, survived on node " + id + ": " + got
                            + " (an un-quorumed proposal of the old epoch was not truncated)");
                }
            }
            absent++;
        }
        return absent;
    }

    private static void putUntilAcked(ScenarioRun r, int node, String key, String value)
            throws Exception {
        r.await(key + "=" + value + " acknowledged by node " + node, () -> {
            if (r.put(node, key, value) != null) {
                return true;
            }
            Thread.sleep(200);
            return false;
        });
    }

    /** One GET of k on {@code node}: "status body", or "error: ..." if it got no answer. */
    private static String read(ScenarioRun r, int node, boolean linearizable)
            throws InterruptedException {
        try {
            HttpResponse<String> res = r.c.call(node, "GET",
                    "/kv/k" + (linearizable ? "?linearizable=true" : ""), null,
                    Duration.ofSeconds(10));
            return res.statusCode() + " " + (res.statusCode() == 200 ? res.body() : "");
        } catch (IOException e) {
            return "error: " + e;
        }
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    /** {@code count} writes sent to one node at once, each from a thread of its own. */
    private static final class Burst {
        private final List<Thread> threads = new ArrayList<>();
        private final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

        Burst(ScenarioRun r, int node, String prefix, int count) {
            for (int i = 0; i < count; i++) {
                String key = prefix + i;
                Thread t = new Thread(() -> {
                    long at = System.nanoTime();
                    try {
                        Long zxid = r.put(node, key, key);
                        sent.add(new Sent(key, node, at, System.nanoTime(), zxid));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, r.name + "-burst-" + key);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        int size() {
            return threads.size();
        }

        List<Sent> join() throws InterruptedException {
            for (Thread t : threads) {
                t.join(ScenarioRun.WRITE_TIMEOUT.toMillis() + 5_000);
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " did not finish");
                }
            }
            return List.copyOf(sent);
        }
    }

    /** {@code count} concurrent GETs of k on one node; their answers as {@link #read} gives. */
    private static final class Reads {
        private final List<Thread> threads = new ArrayList<>();
        private final List<String> answers = Collections.synchronizedList(new ArrayList<>());

        Reads(ScenarioRun r, int node, boolean linearizable, int count) {
            for (int i = 0; i < count; i++) {
                Thread t = new Thread(() -> {
                    try {
                        answers.add(read(r, node, linearizable));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, r.name + "-read-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        List<String> join() throws InterruptedException {
            for (Thread t : threads) {
                t.join(15_000);
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " did not finish");
                }
            }
            return List.copyOf(answers);
        }
    }
}
