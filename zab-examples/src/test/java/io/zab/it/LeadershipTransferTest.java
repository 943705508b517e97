package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leadership transfer (issue 17) on three real nodes over Netty with file storage: while a
 * writer submits through every node, the leader hands over to each other voter in turn. Each
 * transfer completes, the target leads, and every acknowledged write is on every replica.
 */
class LeadershipTransferTest {
    @TempDir
    Path root;

    @Test
    void handsOverToEachFollowerInTurnUnderWrites() throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root).voters(3).start()) {
            c.awaitLeader(Clusters.DEADLINE);
            try (Writer w = new Writer("t", Clusters.anyRunning(c), 64).start()) {
                w.awaitAcked(c, 200);
                for (int turn = 0; turn < 3; turn++) {
                    int leader = c.awaitLeader(Clusters.DEADLINE);
                    int target = c.voters().stream().filter(id -> id != leader)
                            .toList().get(turn % 2);
                    long before = w.acked().size();
                    c.node(leader).transferLeadership(new PeerId(target), Duration.ofSeconds(60))
                            .get(Clusters.DEADLINE.toSeconds(), TimeUnit.SECONDS);
                    assertEquals(Role.FOLLOWING, c.node(leader).role(), "old leader follows");
                    assertEquals(new PeerId(target), c.node(leader).leader().orElseThrow());
                    Clusters.await(c, "target " + target + " leads",
                            () -> c.leader().orElse(-1) == target);
                    w.awaitAcked(c, before + 200);
                }
                w.stop();
                byte[] record = Clusters.converged(c);
                w.assertFailuresOnly(Writer.transientFailures());
                w.assertAllAckedIn(record);
                assertTrue(w.acked().size() >= 800, "writes went on: " + w.acked().size());
            }
        }
    }
}
