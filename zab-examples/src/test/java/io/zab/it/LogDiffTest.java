package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.testkit.TestCluster;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DIFF served from the leader's log on three real nodes over Netty with file storage. The
 * nodes keep only 50 txns of history in memory; a follower is stopped while a few thousand
 * writes commit, then restarted while the writes go on. The leader must sync it by DIFF, the
 * older txns read from its log on disk (its decision names the log), never by a snapshot, and
 * every replica must end with every acknowledged write. (Under the old rule, which served DIFF
 * from memory only, this follower got SNAP.)
 */
class LogDiffTest {
    private static final int HISTORY_TXNS = 50;
    private static final int BEHIND = 3_000;

    @TempDir
    Path root;

    @Test
    void aFollowerThousandsOfTxnsBehindIsSyncedByDiffFromTheLeadersLog() throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root)
                .configure(b -> b.historyMaxTxns(HISTORY_TXNS)).start();
                SyncLog sync = new SyncLog();
                Writer w = new Writer("d", Clusters.anyRunning(c), 64)) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            int follower = leader == 1 ? 2 : 1;
            w.start();
            w.awaitAcked(c, 200);
            c.kill(follower);
            w.awaitAcked(c, w.acked().size() + BEHIND);

            sync.clear();
            c.restart(follower);
            Clusters.await(c, "the follower synced and caught up", () -> c.node(follower)
                    .status().broadcasting() && !sync.decisionsFor(follower).isEmpty());
            w.awaitAcked(c, w.acked().size() + 500); // and it follows along under load
            w.stop();
            byte[] record = Clusters.converged(c);

            List<SyncLog.Decision> decisions = sync.decisionsFor(follower);
            assertFalse(decisions.isEmpty(), "a leader synchronized " + follower);
            for (SyncLog.Decision d : decisions) {
                assertEquals("DIFF", d.mode(), "synced by DIFF, not a snapshot: " + d.line());
                assertTrue(d.line().contains("from our log"), "the older part came from the"
                        + " leader's log: " + d.line());
            }
            assertEquals(0, c.stateMachine(follower).restoresSinceStart(),
                    "no snapshot was installed");
            w.assertFailuresOnly(Writer.transientFailures());
            w.assertAllAckedIn(record);
            assertTrue(HistoryMachine.index(record).size() >= BEHIND + 700,
                    "every replica holds every write: " + HistoryMachine.index(record).size());
            c.assertNoFailures();
            System.out.printf("follower %d, %d txns behind, caught up by %s; %d acknowledged%n",
                    follower, BEHIND, decisions.stream().map(SyncLog.Decision::line).toList(),
                    w.acked().size());
        }
    }
}
