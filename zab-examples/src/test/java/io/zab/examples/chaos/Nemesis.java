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
 * --initial-cluster-state existing and must not vote until synced). When the cluster has tmpfs disks, also a full disk on a random node (S21) and EIO from every
 * fsync/fdatasync of a node, the leader half the time (S22), each for a few seconds.
 * Each action is logged with its time for the failure report.
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

    Nemesis(ProcessCluster cluster, SplittableRandom random, long epochNanos, boolean killAll) {
        this.cluster = cluster;
        this.random = random;
        this.epochNanos = epochNanos;
        this.killAll = killAll;
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

    private void note(String what) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - epochNanos);
        log.add(String.format("%8d ms  %s", ms, what));
    }

    private long between(long lo, long hi) {
        return lo + random.nextLong(hi - lo + 1);
    }

    /** The leader half the time (when one is known), otherwise any node. */
    private int target() {
        if (random.nextBoolean()) {
            Integer l = cluster.leader();
            if (l != null) {
                return l;
            }
        }
        return 1 + random.nextInt(cluster.size());
    }

    /** Faults until {@code deadlineNanos} (System.nanoTime), each healed before the next. */
    void run(long deadlineNanos) throws IOException, InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            for (int id : cluster.restartExited()) {
                note("node " + id + " had exited by itself (see its log); started again");
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
        wipedUnsynced.removeIf(id -> cluster.status(id) != null && !cluster.abstaining(id));
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
        int b = 1 + random.nextInt(cluster.size() - 1);
        if (b >= a) {
            b++;
        }
        counts[Fault.CUT_LINK.ordinal()]++;
        note("cut link " + a + "-" + b);
        cluster.cut(a, b);
        Thread.sleep(between(2_000, 5_000));
        note("heal network");
        cluster.healNetwork();
    }

    private void diskFull() throws IOException, InterruptedException {
        int id = 1 + random.nextInt(cluster.size());
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
        List<Integer> ids = new ArrayList<>();
        for (int id = 1; id <= cluster.size(); id++) {
            ids.add(id);
        }
        Collections.shuffle(ids, new java.util.Random(random.nextLong()));
        List<Integer> victims = ids.subList(0, cluster.size() / 2 + 1);
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
        note("kill -9 every node");
        for (int id = 1; id <= cluster.size(); id++) {
            cluster.kill9(id);
        }
        Thread.sleep(between(500, 2_000));
        note("restart every node");
        for (int id = 1; id <= cluster.size(); id++) {
            cluster.start(id);
        }
    }
}
