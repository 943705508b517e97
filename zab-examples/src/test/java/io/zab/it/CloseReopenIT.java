package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code close()} in the middle of a write load, with file storage. Each round loads one node
 * (the leader, then a follower that forwards, then the leader again) and closes it while its
 * client keeps up to 1,000 writes in flight, then closes the other two. Every future must get
 * an answer (none is left hanging): a write in flight at the close fails with OutcomeUnknown
 * (the others may still commit it), a submit after it with Closed, and nothing fails another
 * way. The three data directories must reopen cleanly: storage recovery has nothing to repair
 * (no torn record, no garbage after the last one, no damaged snapshot or epoch file); every
 * write acknowledged in any round is in every state machine at its zxid, and no write refused
 * as Closed is anywhere.
 */
class CloseReopenIT {
    private static final int ROUNDS = 3;

    @TempDir
    Path root;

    @Test
    void closeMidLoadFailsPendingWorkAndLeavesNothingHalfWritten() throws Exception {
        Map<String, Zxid> acked = new HashMap<>();
        Set<String> refused = new HashSet<>();
        long inFlightAtClose = 0;
        Logger storage = (Logger) LoggerFactory.getLogger("io.zab.storage");
        ListAppender<ILoggingEvent> repairs = new ListAppender<>();
        Level levelBefore = storage.getLevel();
        storage.setLevel(Level.WARN); // whatever the console shows, capture every repair
        repairs.start();
        storage.addAppender(repairs);
        try (TestCluster<HistoryMachine> c = Clusters.netty(root).start()) {
            for (int round = 0; ; round++) {
                if (round > 0) {
                    for (int id : c.members()) {
                        c.restart(id);
                    }
                }
                int leader = c.awaitLeader(Clusters.DEADLINE);
                Zxid lastAcked = acked.values().stream().max(Zxid::compareTo)
                        .orElse(Zxid.ZERO);
                Clusters.await(c, "the reopened nodes to deliver all that was acknowledged",
                        () -> c.running().stream().allMatch(id ->
                                !c.stateMachine(id).last().isBefore(lastAcked)));
                for (int id : c.running()) {
                    assertAllPresent(acked, refused, c.stateMachine(id).bytes(), id);
                }
                if (round == ROUNDS) {
                    Clusters.converged(c);
                    break;
                }
                int loaded = round % 2 == 0 ? leader : (leader == 1 ? 2 : 1);
                Writer w = loadAndClose(c, loaded, "r" + round + "-");
                acked.putAll(w.acked());
                refused.addAll(w.failedWith(ZabException.ClosedException.class));
                inFlightAtClose += w.failures().getOrDefault("OutcomeUnknownException", 0L);
                for (int id : c.running()) {
                    c.kill(id); // the other two
                }
            }
        } finally {
            storage.detachAppender(repairs);
            storage.setLevel(levelBefore);
        }
        List<String> warnings = repairs.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(List.of(), warnings, "storage recovery found something half-written");
        assertTrue(acked.size() >= ROUNDS * 3_000);
        // With 1,000 writes kept in flight, a close that finds none pending would mean the
        // test no longer tests what it says.
        assertTrue(inFlightAtClose > 0, "no write was in flight at any of the closes");
    }

    /**
     * Loads node {@code id} and closes it while its writer is still submitting; returns the
     * writer, every one of its writes answered.
     */
    private static Writer loadAndClose(TestCluster<HistoryMachine> c, int id, String prefix)
            throws Exception {
        ZabNode node = c.node(id);
        Writer w = new Writer(prefix, () -> node, 1_000);
        try {
            w.start();
            w.awaitAcked(c, 3_000);
            c.kill(id);
            w.stop(); // every submitted write has its answer
        } finally {
            w.close();
        }
        w.assertFailuresOnly(ZabException.OutcomeUnknownException.class,
                ZabException.ClosedException.class);
        ExecutionException late = assertThrows(ExecutionException.class,
                () -> node.submit(ByteBuffer.allocate(1)).get(5, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, late.getCause());
        System.out.printf("close mid-load of node %d: %d acknowledged, failures %s%n", id,
                w.acked().size(), w.failures());
        return w;
    }

    private static void assertAllPresent(Map<String, Zxid> acked, Set<String> refused,
            byte[] record, int id) {
        Map<String, Zxid> delivered = HistoryMachine.index(record);
        acked.forEach((payload, zxid) -> assertEquals(zxid, delivered.get(payload),
                "node " + id + " after reopening: acknowledged " + payload));
        refused.forEach(payload -> assertFalse(delivered.containsKey(payload),
                "node " + id + " after reopening: " + payload + " was refused as Closed"));
    }
}
