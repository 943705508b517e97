package io.zab.examples.chaos;

import io.zab.examples.chaos.LogRecords.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The REAL disk scenarios of RELIABILITY.md, one test each, with a fixed schedule against 3
 * {@code server} processes whose data directories are on tmpfs mounts of their own
 * ({@link NodeDisks}), and a client writing keys through the HTTP API:
 * <ul>
 *   <li>S21 follower disk full: a follower's disk fills; with the third node frozen, only that
 *       follower could make a quorum, so a write is acknowledged only if it is in that
 *       follower's log file; with the third node back, the cluster commits with two; once the
 *       space is freed the follower catches up.</li>
 *   <li>S22 leader fsync EIO: one fsync of the leader's log writer fails (a retry would
 *       succeed: the fsyncgate trap); the leader must give up its epoch, a leader of a newer
 *       epoch serves writes, and no acknowledged write is lost.</li>
 *   <li>S23 (one cluster, two steps) (a) torn tail: the last record of a stopped follower's log
 *       is cut mid-way; it repairs the tail with one WARN naming the file and offset, rejoins
 *       and converges. (b) corrupt middle record: a byte of a middle record of the other
 *       follower's log is flipped; the server exits
 *       non-zero with one line naming the file and offset; wiping its data directory (the
 *       operator's remedy) makes it resync from nothing and converge (by SNAP or by DIFF
 *       from zxid 0, whichever the leader chooses; the test says which).</li>
 *   <li>S26 wiped follower: writes commit on the leader and F1 while F2 is down; F1's data
 *       directory is lost and the leader dies; F1 restarted as {@code existing} abstains, so
 *       F1 and the stale F2 elect nobody; the old leader's return brings everything back.</li>
 * </ul>
 * Each step ends by checking that all nodes reach the same digest and applied zxid, then
 * reading back every acknowledged key on every node (every key is written once; a write with
 * an unknown outcome may be absent, never different). A
 * failure keeps the node logs and copies of the data directories in the printed directory.
 *
 * <p>Needs root (tmpfs mounts, ptrace); skipped otherwise. Installs strace with apt-get when it
 * is missing.
 */
class DiskFaultIT {
    private static final Duration LEADER = ScenarioRun.LEADER;
    private static final String VALUE_2K = "v".repeat(2048);
    private static final String VALUE_1K = "f".repeat(1024);

    @BeforeAll
    static void needsRoot() throws Exception {
        HostTools.assumeRoot("DiskFaultIT", "tmpfs mounts and ptrace");
        NodeDisks.ensureStrace();
    }

    /** S21: a follower with a full disk acknowledges only what it persisted. */
    @Test
    void s21FollowerDiskFull() throws Exception {
        try (ScenarioRun r = new ScenarioRun("disk", "s21", 3, 160)) {
            int l = r.leader();
            int f = l % 3 + 1;
            int o = f % 3 + 1;
            r.writeAll(l, "pre", 10, VALUE_2K);
            r.await("follower " + f + " in step", () -> r.inStep(f, l));
            // A page or two left: a few writes fit (persisted by f, so they may be acked).
            long filler = r.c.fillDisk(f, 4096);
            r.note("disk of node " + f + " full");
            // Phase 1: node o frozen, so leader + f is the only quorum; f's next log page
            // needs space it does not have.
            r.c.pause(o);
            List<Long> ackedFrozen = new ArrayList<>();
            int refused = 0;
            // Until a write goes unacknowledged with the full disk reported: on a slow machine
            // one may time out (504) before the disk is full.
            for (int i = 0; i < 12 && !(refused > 0
                    && r.logSays(f, "No space left on device")); i++) {
                Long z = r.put(l, "frozen" + i, VALUE_1K);
                if (z != null) {
                    ackedFrozen.add(z);
                } else {
                    refused++;
                }
            }
            r.c.resume(o);
            r.note(ackedFrozen.size() + " acknowledged, " + refused + " not, with node " + o
                    + " frozen");
            if (refused == 0) {
                r.fail("12 writes of 1 KiB were all acknowledged while node " + o + " was frozen"
                        + " and node " + f + "'s disk was full (filler " + filler + " bytes)");
            }
            r.await("node " + f + " reports ENOSPC", () -> r.logSays(f, "No space left on device"));
            List<Long> onDisk = LogRecords.zxids(r.c.dataDir(f));
            for (long z : ackedFrozen) {
                if (!onDisk.contains(z)) {
                    r.fail("write " + ScenarioRun.hex(z) + " was acknowledged while only node "
                            + f + " could complete a quorum, but it is not in node " + f
                            + "'s log");
                }
            }
            // Phase 2: the other two commit without f.
            List<String> keys = r.writeAll(o, "two", 15, "x");
            long last = r.zxids.get(keys.get(keys.size() - 1));
            r.await("every key of phase 2 on nodes " + l + " and " + o,
                    () -> r.hasLocally(l, keys) && r.hasLocally(o, keys));
            Long fApplied = r.appliedOf(f);
            if (fApplied != null && Long.compareUnsigned(fApplied, last) >= 0) {
                r.fail("node " + f + " applied " + ScenarioRun.hex(fApplied)
                        + " with its disk still full");
            }
            r.c.freeDisk(f);
            r.note("disk of node " + f + " freed");
            r.finish();
            r.passed();
            System.out.printf("S21: %d writes acknowledged with %d's disk full and %d frozen,"
                    + " all in its log; %d committed by the other two; converged%n",
                    ackedFrozen.size(), f, o, keys.size());
        }
    }

    /** S22: one failed fsync ends the leader's epoch; no acknowledged write is lost. */
    @Test
    void s22LeaderFsyncEio() throws Exception {
        try (ScenarioRun r = new ScenarioRun("disk", "s22", 3, 160)) {
            int l = r.leader();
            long epochBefore = r.epochOf(l);
            r.writeAll(l, "pre", 10, "p");
            ScenarioRun.Writer w = new ScenarioRun.Writer(r, "w", i -> 1 + i % 3);
            w.start();
            Thread.sleep(1_000);
            // Only each thread's 2nd call fails, so a retried fsync would succeed.
            r.c.injectFsyncEio(l, "2");
            r.await("node " + l + " reports the EIO",
                    () -> r.logSays(l, "Input/output error"));
            r.await("a leader of an epoch after " + epochBefore, () -> {
                Integer now = r.c.leader();
                return now != null && r.epochOf(now) > epochBefore;
            });
            r.c.healFsync(l);
            r.note("fsync of node " + l + " healed");
            long newEpochAcks = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (newEpochAcks < 5 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                newEpochAcks = w.ackedAfter(epochBefore);
            }
            w.finish();
            if (newEpochAcks < 5) {
                r.fail("only " + newEpochAcks + " writes acknowledged in an epoch after "
                        + epochBefore + " within 20 s of the new leader");
            }
            r.finish();
            r.passed();
            System.out.printf("S22: node %d failed an fsync in epoch %d; %d writes acknowledged"
                    + " in all, %d unknown; converged%n", l, epochBefore, r.acked.size(),
                    r.unknown.size());
        }
    }

    /**
     * S23: (a) a torn last record of a stopped follower is cut with one WARN; then (b) a damaged
     * middle record of the other follower stops it, and a wiped node resyncs from nothing.
     */
    @Test
    void s23TornAndCorruptLog() throws Exception {
        try (ScenarioRun r = new ScenarioRun("disk", "s23", 3, 160)) {
            int l = r.leader();
            int f = l % 3 + 1;
            r.writeAll(l, "a", 30, "t");
            String warn = tornTail(r, l, f);
            int l2 = r.leader();
            int g = 1;
            while (g == l2 || g == f) {
                g++; // a follower other than f (ends at most at 3)
            }
            String error = corruptMiddle(r, l2, g);
            r.passed();
            System.out.println("S23a: " + warn + "\nS23b: " + error);
        }
    }

    /**
     * S26: writes commit on the leader and F1 while F2 is down; F1's data directory is lost and
     * the leader dies. F1 restarts blank with {@code --initial-cluster-state existing}, F2
     * (stale) restarts: F1 must abstain, so no leader forms for 15 s (F2 alone is a minority
     * of the nodes that may vote, and electing it would lose the writes). Once the old leader
     * returns, F1 syncs from it, votes again, and every acknowledged write is on every node.
     */
    @Test
    void s26WipedFollowerAbstainsUntilSynced() throws Exception {
        try (ScenarioRun r = new ScenarioRun("disk", "s26", 3, 160)) {
            int l = r.leader();
            int f1 = l % 3 + 1;
            int f2 = f1 % 3 + 1;
            r.writeAll(l, "pre", 5, "p");
            r.await("follower " + f1 + " in step", () -> r.inStep(f1, l));
            r.c.kill9(f2);
            List<String> keys = r.writeAll(l, "two", 5, "w");
            r.c.kill9(l);
            r.c.kill9(f1);
            r.c.wipe(f1);
            r.c.start(f1);
            r.c.start(f2);
            r.note(keys.size() + " writes committed by " + l + " and " + f1 + " alone; " + l
                    + " down, " + f1 + " wiped and restarted as existing, " + f2 + " restarted");
            r.await("node " + f1 + " answering and abstaining", () -> r.c.abstaining(f1),
                    LEADER);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < end) {
                Integer leader = r.c.leader();
                if (leader != null) {
                    r.fail("node " + leader + " leads while the only nodes up are the blank "
                            + f1 + " and the stale " + f2 + ": the writes " + keys
                            + " would be lost");
                }
                Thread.sleep(250);
            }
            r.note("no leader for 15 s without the old leader");
            r.c.start(l);
            r.leader();
            r.await("node " + f1 + " synced and voting", () -> {
                Integer now = r.c.leader();
                return now != null && r.c.status(f1) != null && !r.c.abstaining(f1)
                        && r.inStep(f1, now);
            }, LEADER);
            r.finish();
            r.passed();
            System.out.printf("S26: %d writes acknowledged by %d and %d survived %d's wipe;"
                    + " no leader formed from the blank and the stale node%n", keys.size(), l,
                    f1, f1);
        }
    }

    /** S23a on follower {@code f}: its WARN line. */
    private static String tornTail(ScenarioRun r, int l, int f) throws Exception {
        r.await("follower " + f + " in step", () -> r.inStep(f, l));
        r.c.kill9(f);
        Path seg = LogRecords.newest(r.c.dataDir(f));
        List<Rec> recs = LogRecords.read(seg);
        Rec torn = recs.get(recs.size() - 1);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(torn.offset() + torn.total() / 2);
        }
        r.writeAll(l, "b", 10, "t");
        long mark = Files.size(r.c.logFile(f));
        r.c.start(f);
        r.note("node " + f + " started after its last record was cut mid-way");
        r.finish();
        List<String> warns = r.linesSince(f, mark).stream()
                .filter(s -> s.contains("WARN") && s.contains(seg.getFileName().toString()))
                .toList();
        if (warns.size() != 1 || !warns.get(0).contains(seg.toString())
                || !warns.get(0).contains("offset " + torn.offset())) {
            r.fail("expected one WARN naming " + seg + " and offset " + torn.offset() + ", got "
                    + warns);
        }
        return warns.get(0);
    }

    /** S23b on follower {@code f}: its error line, and how it rejoined after the wipe. */
    private static String corruptMiddle(ScenarioRun r, int l, int f) throws Exception {
        r.await("follower " + f + " in step", () -> r.inStep(f, l));
        r.c.kill9(f);
        Path seg = LogRecords.newest(r.c.dataDir(f));
        List<Rec> recs = LogRecords.read(seg);
        Rec bad = recs.get(recs.size() / 2);
        if (recs.get(recs.size() - 1).batchStart() <= bad.offset()) {
            r.fail("record at " + bad.offset() + " is in the last group-commit batch: " + recs);
        }
        flipByte(seg, bad.offset() + LogRecords.RECORD_HEADER_BYTES
                + (bad.total() - LogRecords.RECORD_HEADER_BYTES) / 2);
        r.writeAll(l, "c", 10, "c");
        long mark = Files.size(r.c.logFile(f));
        r.c.start(f);
        Integer code = r.c.awaitExit(f, Duration.ofSeconds(60));
        r.note("node " + f + " with a damaged record exited with " + code);
        List<String> out = r.linesSince(f, mark).stream().filter(s -> !s.isBlank()).toList();
        List<String> errors = out.stream().filter(s -> s.startsWith("error:")).toList();
        if (code == null || code == 0 || errors.size() != 1
                || !errors.get(0).contains(seg + " at offset " + bad.offset())
                || out.stream().anyMatch(s -> s.startsWith("\tat ") || s.startsWith("Caused"))) {
            r.fail("expected exit code != 0 and one error line naming " + seg + " at offset "
                    + bad.offset() + "; got exit " + code + " and output " + out);
        }
        // The operator's remedy (the error's advice): wipe the data directory and start the
        // node again as joining the existing cluster.
        r.c.wipe(f);
        r.c.start(f);
        r.note("node " + f + " started with a wiped data directory, as existing");
        r.finish();
        // The servers log WARN and above only, so the leader's sync mode is read off the
        // wiped node's directory: a snapshot means SNAP, none means DIFF from zxid 0.
        boolean bySnap;
        try (Stream<Path> files = Files.list(r.c.dataDir(f).resolve("snapshots"))) {
            bySnap = files.anyMatch(p -> p.getFileName().toString().startsWith("snapshot"));
        }
        return "exit " + code + ": " + errors.get(0) + "; after the wipe it rejoined by "
                + (bySnap ? "SNAP" : "DIFF from zxid 0");
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
            ch.write(b, at);
        }
    }
}
