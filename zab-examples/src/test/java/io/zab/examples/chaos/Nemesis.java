package io.zab.examples.chaos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Injects one fault at a time into a {@link ProcessCluster}, heals it after a few seconds,
 * waits a little, and starts again, until a deadline: kill -9 of a node (half the time the
 * leader) and restart from its data directory; SIGSTOP/SIGCONT of a node (a zombie leader when
 * it is the leader); isolation of a node; a single cut link (a bridge: two nodes that do not
 * see each other while both see the third); rarely kill -9 of a majority or of every node.
 * One kill in four also wipes the node's data directory (S26: it restarts with
 * --initial-cluster-state existing, or through --join once the membership changed, and must
 * not vote until synced). When the cluster has tmpfs disks, also a full disk on a random node
 * (S21) and EIO from every fsync/fdatasync of a node, the leader half the time (S22), each for
 * a few seconds.
 * With {@link MemberChanges}, one step in four is a membership change instead (an add, a
 * removal or a replace), and the other faults hit the members of the moment only. Each action
 * is logged with its time for the failure report.
 *
 * <p>One thread (the test's).
 */
final class Nemesis {
    /** What was injected, for the report. */
    enum Fault { KILL, PAUSE, ISOLATE, CUT_LINK, KILL_MAJORITY, KILL_ALL, DISK_FULL, FSYNC_EIO,
        WIPE }

    private final ProcessCluster cluster;
    private final SplittableRandom random;
    private final long epochNanos;
    private final boolean killAll;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final int[] counts = new int[Fault.values().length];
    /** Wiped nodes not yet seen synced: at most one at a time (see {@link #mayWipe}). */
    private final Set<Integer> wipedUnsynced = new TreeSet<>();
    /** Null: the membership stays the founders'. */
    private final MemberChanges members;

    Nemesis(ProcessCluster cluster, SplittableRandom random, long epochNanos, boolean killAll) {
        this(cluster, random, epochNanos, killAll, 0);
    }

    /**
     * @param founders with a positive count, nodes 1 to this many found the cluster and the
     *     others are spares for membership changes ({@link #members()}); 0: no changes
     */
    Nemesis(ProcessCluster cluster, SplittableRandom random, long epochNanos, boolean killAll,
            int founders) {
        this.cluster = cluster;
        this.random = random;
        this.epochNanos = epochNanos;
        this.killAll = killAll;
        this.members = founders > 0
                ? new MemberChanges(cluster, founders, random, this::note, epochNanos) : null;
    }

    /** The membership changes, or null when there are none. */
    MemberChanges members() {
        return members;
    }

    /** The nodes faults hit and clients use: the voters of the moment. Any thread. */
    List<Integer> nodes() {
        if (members != null) {
            return members.members();
        }
        List<Integer> all = new ArrayList<>();
        for (int id = 1; id <= cluster.size(); id++) {
            all.add(id);
        }
        return all;
    }

    /**
     * The final heal: every link, disk and frozen node healed, the members started, and, with
     * membership changes, the membership settled. Returns the final members.
     */
    List<Integer> healAll(java.time.Duration settle) throws IOException, InterruptedException {
        cluster.healAll(nodes());
        note("heal everything; start the members " + nodes());
        if (members == null) {
            return nodes();
        }
        List<Integer> last = members.settle(settle);
        cluster.healAll(last);
        return last;
    }

    List<String> log() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    int count(Fault f) {
        return counts[f.ordinal()];
    }

    int total() {
        int t = 0;
        for (int c : counts) {
            t += c;
        }
        return t;
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        for (Fault f : Fault.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(f.name().toLowerCase()).append(' ')
                    .append(counts[f.ordinal()]);
        }
        return b.toString();
    }

    void note(String what) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - epochNanos);
        log.add(String.format("%8d ms  %s", ms, what));
    }

    private long between(long lo, long hi) {
        return lo + random.nextLong(hi - lo + 1);
    }

    /** The leader half the time (when one is known), otherwise any member. */
    private int target() {
        List<Integer> nodes = nodes();
        if (random.nextBoolean()) {
            Integer l = cluster.leader();
            if (l != null && nodes.contains(l)) {
                return l;
            }
        }
        return nodes.get(random.nextInt(nodes.size()));
    }

    /** Faults until {@code deadlineNanos} (System.nanoTime), each healed before the next. */
    void run(long deadlineNanos) throws IOException, InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            for (int id : cluster.restartExited()) {
                note("node " + id + " had exited by itself (see its log); started again");
            }
            if (members != null && changeMembership(deadlineNanos)) {
                Thread.sleep(between(1_000, 3_000));
                continue;
            }
            int w = random.nextInt(cluster.hasDisks() ? 116 : 100);
            if (w >= 108) {
                fsyncEio();
            } else if (w >= 100) {
                diskFull();
            } else if (w < 30) {
                kill();
            } else if (w < 55) {
                pause();
            } else if (w < 75) {
                isolate();
            } else if (w < 90) {
                cutLink();
            } else if (w < 96 || !killAll) {
                killMajority();
            } else {
                killEveryone();
            }
            Thread.sleep(between(1_000, 3_000));
        }
    }

    /**
     * One step in four, while 10 s of the run remain (a change may take that long): a
     * membership change. False when none was made: a fault instead.
     */
    private boolean changeMembership(long deadlineNanos) throws IOException,
            InterruptedException {
        members.reconcile();
        wipedUnsynced.addAll(members.takeBlank());
        if (random.nextInt(4) != 0 || deadlineNanos - System.nanoTime()
                < TimeUnit.SECONDS.toNanos(10)) {
            return false;
        }
        boolean changed = members.change();
        wipedUnsynced.addAll(members.takeBlank());
        return changed;
    }

    private void kill() throws IOException, InterruptedException {
        int id = target();
        counts[Fault.KILL.ordinal()]++;
        note("kill -9 node " + id);
        cluster.kill9(id);
        if (random.nextInt(4) == 0 && mayWipe()) {
            counts[Fault.WIPE.ordinal()]++;
            note("wipe node " + id + "'s data directory (S26); it restarts as existing");
            cluster.wipe(id);
            wipedUnsynced.add(id);
            if (members != null && !members.foundersOnly()) {
                // Its --peers would name the founders, not the members: it restarts with
                // --join, which finds itself listed and starts as existing.
                int via = members.via(id);
                if (via != 0) {
                    cluster.joinVia(id, via);
                }
            }
        }
        Thread.sleep(between(500, 4_000));
        note("restart node " + id);
        cluster.start(id);
    }

    /**
     * One blank, unsynced node at a time: two of them in a 3-node cluster leave no quorum of
     * nodes that may vote, which is unavailability by design (their acknowledged writes may be
     * gone), not a fault the cluster is expected to ride out.
     */
    private boolean mayWipe() {
        // A wiped node since removed is no member to wait for.
        wipedUnsynced.removeIf(id -> !nodes().contains(id)
                || cluster.status(id) != null && !cluster.abstaining(id));
        return wipedUnsynced.isEmpty();
    }

    private void pause() throws IOException, InterruptedException {
        int id = target();
        counts[Fault.PAUSE.ordinal()]++;
        note("SIGSTOP node " + id);
        cluster.pause(id);
        Thread.sleep(between(1_000, 5_000));
        note("SIGCONT node " + id);
        cluster.resume(id);
    }

    private void isolate() throws InterruptedException {
        int id = target();
        counts[Fault.ISOLATE.ordinal()]++;
        note("isolate node " + id);
        cluster.isolate(id);
        Thread.sleep(between(2_000, 6_000));
        note("heal network");
        cluster.healNetwork();
    }

    private void cutLink() throws InterruptedException {
        int a = target();
        List<Integer> others = new ArrayList<>(nodes());
        others.remove(Integer.valueOf(a));
        int b = others.get(random.nextInt(others.size()));
        counts[Fault.CUT_LINK.ordinal()]++;
        note("cut link " + a + "-" + b);
        cluster.cut(a, b);
        Thread.sleep(between(2_000, 5_000));
        note("heal network");
        cluster.healNetwork();
    }

    private void diskFull() throws IOException, InterruptedException {
        List<Integer> nodes = nodes();
        int id = nodes.get(random.nextInt(nodes.size()));
        counts[Fault.DISK_FULL.ordinal()]++;
        long bytes = cluster.fillDisk(id);
        note("disk of node " + id + " full (filler " + (bytes >> 20) + " MiB)");
        Thread.sleep(between(2_000, 5_000));
        note("free the disk of node " + id);
        cluster.freeDisk(id);
    }

    private void fsyncEio() throws IOException, InterruptedException {
        int id = target();
        long first = between(1, 4);
        counts[Fault.FSYNC_EIO.ordinal()]++;
        note("fsync EIO on node " + id + " from each thread's call " + first + " on");
        cluster.injectFsyncEio(id, first + "+");
        Thread.sleep(between(2_000, 5_000));
        note("fsync of node " + id + " healed (strace detached)");
        cluster.healFsync(id);
    }

    private void killMajority() throws IOException, InterruptedException {
        List<Integer> ids = new ArrayList<>(nodes());
        Collections.shuffle(ids, new java.util.Random(random.nextLong()));
        List<Integer> victims = ids.subList(0, ids.size() / 2 + 1);
        counts[Fault.KILL_MAJORITY.ordinal()]++;
        note("kill -9 nodes " + victims);
        for (int id : victims) {
            cluster.kill9(id);
        }
        Thread.sleep(between(500, 3_000));
        note("restart nodes " + victims);
        for (int id : victims) {
            cluster.start(id);
        }
    }

    private void killEveryone() throws IOException, InterruptedException {
        counts[Fault.KILL_ALL.ordinal()]++;
        List<Integer> all = nodes();
        note("kill -9 every node " + all);
        for (int id : all) {
            cluster.kill9(id);
        }
        Thread.sleep(between(500, 2_000));
        note("restart every node");
        for (int id : all) {
            cluster.start(id);
        }
    }
}
