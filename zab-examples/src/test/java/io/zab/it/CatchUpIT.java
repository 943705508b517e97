package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.runtime.NodeWiring;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.testkit.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members that leave a loaded three-voter cluster and come back: the leader closed mid-load
 * (a new leader goes on; the old one returns from its data directory and is caught up by DIFF or
 * TRUNC), and a follower whose data directory was wiped (caught up by SNAP). Which sync the
 * leader chose is read from its log ({@link SyncLog}); a SNAP is also visible to the state
 * machine as a restore while running. Every run ends with all state machines byte-for-byte equal
 * and holding every acknowledged write.
 */
class CatchUpIT {
    @TempDir
    Path root;

    /**
     * The load goes on while the old leader is down and while it syncs. Its lag is whatever the
     * machine wrote meanwhile (tens of thousands of txns when the restart is slow), so the
     * leaders keep a history longer than the default 100,000 txns: this test is about the
     * DIFF/TRUNC path, the next one about SNAP.
     */
    @Test
    void aNewLeaderTakesOverAndTheOldOneCatchesUpByDiff() throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root)
                .configure(b -> b.historyMaxTxns(1_000_000)).start();
                SyncLog sync = new SyncLog();
                Writer w = new Writer("f", Clusters.anyRunning(c), 500)) {
            int old = c.awaitLeader(Clusters.DEADLINE);
            w.start();
            w.awaitAcked(c, 5_000);
            Zxid lastOfOld = c.stateMachine(old).last();
            c.kill(old); // mid-load: its pending futures fail, its queues are dropped

            int next = c.awaitLeader(Clusters.DEADLINE);
            assertNotEquals(old, next);
            long ackedBefore = w.acked().size();
            w.awaitAcked(c, ackedBefore + 3_000);
            assertTrue(w.acked().values().stream().anyMatch(z -> z.epoch() > lastOfOld.epoch()),
                    "the new leader commits in a new epoch");

            sync.clear();
            c.restart(old);
            c.awaitLeader(Clusters.DEADLINE);
            List<SyncLog.Decision> decisions = sync.decisionsFor(old);
            assertFalse(decisions.isEmpty(), "a leader synchronized " + old + ": "
                    + sync.lines());
            for (SyncLog.Decision d : decisions) {
                assertTrue(d.mode().equals("DIFF") || d.mode().equals("TRUNC"),
                        "caught up from the leader's history, not a snapshot: " + d.line());
            }
            w.awaitAcked(c, w.acked().size() + 3_000); // and it follows along under load
            w.stop();
            byte[] record = Clusters.converged(c);
            w.assertFailuresOnly(Writer.transientFailures());
            w.assertAllAckedIn(record);
            assertEquals(0, c.stateMachine(old).restoresSinceStart(),
                    "no snapshot was installed");
            c.assertNoFailures();
            System.out.printf("failover: old leader %d, new leader %d, %d acknowledged,"
                    + " failures %s, old leader caught up by %s%n", old, next, w.acked().size(),
                    w.failures(), decisions.stream().map(SyncLog.Decision::line).toList());
        }
    }

    /**
     * The leader keeps only 1,000 txns of history in memory; the nodes snapshot every 1,000
     * txns, keep two snapshots and write 64 KiB log segments, so the log is purged as it goes
     * (checked: the first segment is gone). A follower that lost its whole data directory is
     * further behind than that history reaches, so only a snapshot can catch it up. (Log
     * segments are not a config key: a node factory lays out the files, the one thing here the
     * kit's default wiring does not do.)
     */
    @Test
    void aNodeWithAWipedDataDirectoryCatchesUpBySnap() throws Exception {
        FileStorage.Options smallSegments = new FileStorage.Options(
                new FileTxnLog.Options(64 << 10, true, true), 2, 1_000, 256L << 20);
        try (TestCluster<HistoryMachine> c = Clusters.netty(root)
                .configure(b -> b.historyMaxTxns(1_000).snapshotEveryTxns(1_000))
                .nodeFactory((config, sm) -> new NodeWiring().config(config).stateMachine(sm)
                        .fileStorage(smallSegments, FileIo.REAL).build())
                .start();
                SyncLog sync = new SyncLog();
                Writer w = new Writer("s", Clusters.anyRunning(c), 200)) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            int victim = leader == 1 ? 2 : 1;
            w.start();
            w.awaitAcked(c, 3_000);
            c.kill(victim);
            w.awaitAcked(c, w.acked().size() + 2_000);

            sync.clear();
            c.wipe(victim); // back with an empty data directory, joining as EXISTING
            c.awaitLeader(Clusters.DEADLINE);
            List<SyncLog.Decision> decisions = sync.decisionsFor(victim);
            assertFalse(decisions.isEmpty(), "a leader synchronized " + victim);
            assertEquals("SNAP", decisions.get(0).mode(), decisions.get(0).line());
            // The restore runs on the delivery thread, after UPTODATE: wait for it.
            Clusters.await(c, "the wiped node's state machine restored from the leader's"
                    + " snapshot", () -> c.stateMachine(victim).restoresSinceStart() >= 1);
            // Restarted as EXISTING, it abstained until this sync; now it votes again.
            Clusters.await(c, "the wiped node votes again",
                    () -> !c.node(victim).status().abstaining());
            w.awaitAcked(c, w.acked().size() + 1_000);
            w.stop();
            byte[] record = Clusters.converged(c);
            w.assertFailuresOnly(Writer.transientFailures());
            w.assertAllAckedIn(record);
            assertTrue(HistoryMachine.index(record).size() >= 6_000);
            try (Stream<Path> snaps = Files.list(c.dataDir(victim).resolve("snapshots"))) {
                assertTrue(snaps.findAny().isPresent(), "the installed snapshot is on disk");
            }
            try (Stream<Path> segments = Files.list(c.dataDir(leader).resolve("log"))) {
                List<String> names = segments.map(p -> p.getFileName().toString()).toList();
                // Segment files are named log.<generation>.<base zxid>; the first based at 0.
                assertTrue(names.stream().noneMatch(n -> n.endsWith(".0000000000000000")),
                        "the leader purged its oldest log segment: " + names);
            }
            c.assertNoFailures();
            System.out.printf("wiped node %d caught up by %s; %d acknowledged, failures %s%n",
                    victim, decisions.stream().map(SyncLog.Decision::mode).toList(),
                    w.acked().size(), w.failures());
        }
    }
}
