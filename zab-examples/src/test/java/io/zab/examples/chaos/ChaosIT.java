package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Jepsen-style run against real {@code server} processes (S08, S11, S13, S17, S18 and S26's
 * REAL parts, as far as processes allow): concurrent clients do linearizable reads, writes and
 * compare-and-sets on a few keys while a {@link Nemesis} kills -9 and restarts nodes, freezes
 * them (SIGSTOP/SIGCONT), partitions them (iptables packet drops, see {@link Firewall}) and,
 * as root, fills their disks and fails their fsyncs (S21, S22: each data directory on its own
 * tmpfs, see {@link NodeDisks}; {@code -Dchaos.disks=false} leaves those out). The nemesis
 * also changes the membership (issue 17, {@link MemberChanges}): the cluster has one or two
 * spare server slots beyond its founders, and one nemesis step in four adds a spare, removes a
 * voter (the leader half the time) or replaces one, within the same fault time; the clients
 * send only to the members of the moment. {@code -Dchaos.membership=false} leaves those out.
 * Afterwards:
 * <ol>
 *   <li>the membership settles: every voter of the newest committed membership runs and lists
 *       it, with no change in flight;</li>
 *   <li>liveness: once every fault is healed, a write commits within 30 s;</li>
 *   <li>convergence: every member reaches the same KV digest and applied zxid;</li>
 *   <li>a final linearizable read of every key on every member joins the history, and the
 *       whole history must be linearizable (per-key register, {@link LinearizabilityChecker}),
 *       which also proves no acknowledged write was lost.</li>
 * </ol>
 * A failure keeps the logs, data directories, nemesis log and history under the printed
 * directory.
 *
 * <p>Default: 3 nodes (and 2 spares), 5 clients, 60 s of faults, then 5 nodes (and 1 spare),
 * 6 clients, 40 s of faults (about 3 min in all). Longer: {@code -Dchaos.long=true} (the
 * 5-node run becomes 8 clients, 600 s, kill -9 of every node included), or any of {@code
 * -Dchaos.clients -Dchaos.seconds -Dchaos.seed -Dchaos.keep=true} (for both runs).
 *
 * <p>Negative control: {@code -Dchaos.plainReads=true} makes the clients read without
 * {@code ?linearizable=true} (no sync, the local replica's state); the run is then expected to
 * FAIL with stale reads found by the checker, which shows the check has teeth.
 *
 * <p>Partitions are real packet loss: node i lives on 127.0.0.(10 + i) and its outgoing
 * quorum connections leave from that address, so the {@link Firewall}'s iptables DROP rules
 * (in a chain of this JVM's own, removed afterwards) cut exactly the chosen links, both ways,
 * without resetting anything. An isolated node loses every link; a cut link between two nodes
 * that both still see a third is S13's bridge. iptables is installed with apt-get if missing
 * (needs root, as on CI).
 */
class ChaosIT {
    @org.junit.jupiter.api.BeforeAll
    static void needsRoot() {
        HostTools.assumeRoot("ChaosIT",
                "iptables, tmpfs mounts and ptrace (installed with apt-get when missing)");
    }

    private static final Duration LIVENESS = Duration.ofSeconds(30);
    private static final Duration CONVERGENCE = Duration.ofSeconds(60);
    /** For the membership to settle after the final heal: a change may still be finishing. */
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final List<String> KEYS = List.of("x", "y", "z");

    @Test
    void threeNodesLinearizableThroughKillsPausesAndPartitions() throws Exception {
        run(3, Integer.getInteger("chaos.clients", 5), Long.getLong("chaos.seconds", 60), false);
    }

    @Test
    void fiveNodesLinearizableThroughKillsPausesAndPartitions() throws Exception {
        boolean longRun = Boolean.getBoolean("chaos.long");
        run(5, Integer.getInteger("chaos.clients", longRun ? 8 : 6),
                Long.getLong("chaos.seconds", longRun ? 600 : 40), longRun);
    }

    private static void run(int nodes, int clients, long seconds, boolean killAll)
            throws Exception {
        long seed = Long.getLong("chaos.seed", System.nanoTime() % 1_000_000);
        Path root = Files.createTempDirectory("zab-chaos-");
        long epoch = System.nanoTime();
        String noDisks = Boolean.parseBoolean(System.getProperty("chaos.disks", "true"))
                ? NodeDisks.unavailable() : "-Dchaos.disks=false";
        if (noDisks == null) {
            NodeDisks.ensureStrace();
        }
        boolean membership = Boolean.parseBoolean(System.getProperty("chaos.membership",
                "true"));
        // Enough slots for 3 -> 5 voters, or 5 -> 6 and, once voters are removed, any mix.
        int spares = membership ? (nodes == 3 ? 2 : 1) : 0;
        String setup = nodes + " nodes, " + clients + " clients, " + seconds + " s of faults,"
                + " seed " + seed + " (-Dchaos.seed=" + seed + "), disk faults "
                + (noDisks == null ? "on" : "OFF (" + noDisks + ")") + ", membership changes "
                + (membership ? "on (" + spares + " spare" + (spares > 1 ? "s" : "") + ")"
                : "OFF (-Dchaos.membership=false)") + ", in " + root;
        System.out.println("chaos: " + setup);
        long started = System.nanoTime();
        Workload work = null;
        Nemesis nemesis = null;
        boolean passed = false;
        try (ProcessCluster c = new ProcessCluster(nodes + spares, root,
                noDisks == null ? 160 : 0).founders(nodes)) {
            for (int id = 1; id <= nodes; id++) {
                c.start(id);
            }
            await("a first leader", Duration.ofSeconds(60), () -> c.leader() != null, c);
            nemesis = new Nemesis(c, new SplittableRandom(seed), epoch, killAll,
                    membership ? nodes : 0);
            work = new Workload(c, KEYS, clients, seed, epoch, nemesis::nodes);
            work.start();
            nemesis.run(System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds));
            work.stop();
            List<Integer> members = nemesis.healAll(SETTLE);
            long healed = System.nanoTime();
            Duration toCommit = commitAfterHeal(c, members, healed);
            await("convergence (same digest and applied zxid on every member " + members + ")",
                    CONVERGENCE, () -> converged(c, members), c);
            List<Op> history = new ArrayList<>(work.history());
            history.addAll(work.finalReads());
            System.out.println("chaos: checker " + work.checkLinearizable(history));
            report(nemesis);
            System.out.printf("chaos: passed in %d s; %d ops recorded (%s); faults: %d (%s); a"
                    + " write committed %d ms after the last heal; %s%n",
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
                    history.size(), work.summary(), nemesis.total(), nemesis.summary(),
                    toCommit.toMillis(), setup);
            passed = true;
            c.keepDisksOnClose(Boolean.getBoolean("chaos.keep"));
        } finally {
            if (work != null) {
                work.close();
            }
            if (!passed && nemesis != null) {
                report(nemesis);
            }
            keep(root, work, nemesis, passed);
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(String what, Duration limit, Condition cond, ProcessCluster c)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!cond.holds()) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within " + limit.toSeconds() + " s; everything kept in "
                        + c.root + "\n" + c.tailLogs(20));
            }
            Thread.sleep(200);
        }
    }

    /** Each membership change and the totals. */
    private static void report(Nemesis nemesis) {
        MemberChanges m = nemesis.members();
        if (m != null) {
            m.changes().forEach(l -> System.out.println("chaos: membership " + l));
            System.out.println("chaos: membership: " + m.summary());
        }
    }

    /** Liveness after the final heal: the time until some member acknowledges a write. */
    private static Duration commitAfterHeal(ProcessCluster c, List<Integer> members,
            long healed) throws Exception {
        long deadline = healed + LIVENESS.toNanos();
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            int node = members.get(attempt % members.size());
            try {
                HttpResponse<String> r = c.call(node, "PUT", "/kv/after-heal", "a" + attempt,
                        Duration.ofSeconds(5));
                if (r.statusCode() == 200) {
                    return Duration.ofNanos(System.nanoTime() - healed);
                }
            } catch (IOException e) {
                // Not up yet, or timed out: try the next node.
            }
            Thread.sleep(200);
        }
        fail("Liveness: no write committed within " + LIVENESS.toSeconds() + " s of the last"
                + " heal; everything kept in " + c.root + "\n" + c.tailLogs(30));
        return null;
    }

    private static boolean converged(ProcessCluster c, List<Integer> members) {
        String digest = c.digest(members.get(0));
        String applied = c.applied(members.get(0));
        if (digest == null || applied == null) {
            return false;
        }
        for (int id : members) {
            if (!digest.equals(c.digest(id)) || !applied.equals(c.applied(id))) {
                return false;
            }
        }
        return true;
    }

    /** Writes the history and nemesis log; deletes everything if the run passed. */
    private static void keep(Path root, Workload work, Nemesis nemesis, boolean passed)
            throws IOException {
        if (passed && !Boolean.getBoolean("chaos.keep")) {
            Trees.delete(root);
            return;
        }
        List<String> lines = new ArrayList<>();
        if (work != null) {
            List<Op> h = work.history();
            h.sort(Comparator.comparingLong(Op::invoked));
            h.forEach(op -> lines.add(op.toString()));
        }
        Files.write(root.resolve("history.txt"), lines);
        if (nemesis != null) {
            Files.write(root.resolve("nemesis.txt"), nemesis.log());
        }
        System.out.println("chaos: logs, data directories, history.txt and nemesis.txt kept in "
                + root);
    }
}
