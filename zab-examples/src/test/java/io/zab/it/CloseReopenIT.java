package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code close()} in the middle of a write load, with file storage. Each round loads one node
 * (the leader, then a follower that forwards, then the leader again), closes that node while
 * its writes are in flight, then the other two. Every pending future must fail with
 * ClosedException (none is left hanging, none fails another way), and the three data
 * directories must reopen cleanly: storage recovery has nothing to repair (no torn record, no
 * garbage after the last one, no damaged snapshot or epoch file), and every write acknowledged
 * in any round is in every state machine at its zxid.
 */
class CloseReopenIT {
    private static final int ROUNDS = 3;

    @TempDir
    Path root;

    @Test
    void closeMidLoadFailsPendingWorkAndLeavesNothingHalfWritten() throws Exception {
        Map<String, Zxid> acked = new HashMap<>();
        Logger storage = (Logger) LoggerFactory.getLogger("io.zab.storage");
        ListAppender<ILoggingEvent> repairs = new ListAppender<>();
        Level levelBefore = storage.getLevel();
        storage.setLevel(Level.WARN); // whatever the console shows, capture every repair
        repairs.start();
        storage.addAppender(repairs);
        try (Cluster c = Cluster.of(root, 3)) {
            for (int round = 0; ; round++) {
                c.startAll();
                int leader = c.awaitStable();
                Zxid lastAcked = acked.values().stream().max(Zxid::compareTo)
                        .orElse(Zxid.ZERO);
                c.await("the reopened nodes to deliver all that was acknowledged", () ->
                        c.running().stream().allMatch(id ->
                                !c.machine(id).last().isBefore(lastAcked)));
                for (int id : c.running()) {
                    assertAllPresent(acked, c.machine(id).bytes(), id);
                }
                if (round == ROUNDS) {
                    c.awaitConverged();
                    break;
                }
                int loaded = round % 2 == 0 ? leader : (leader == 1 ? 2 : 1);
                acked.putAll(loadAndClose(c, loaded, "r" + round + "-"));
                c.close(); // the other two
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
    }

    /** Loads node {@code id}, closes it with writes in flight; returns what was acknowledged. */
    private static Map<String, Zxid> loadAndClose(Cluster c, int id, String prefix)
            throws Exception {
        ZabNode node = c.node(id);
        Writer w = new Writer(prefix, () -> node, 1_000);
        try {
            w.start();
            w.awaitAcked(c, 3_000);
            // No submit call may race with close(): one that does can only be told its outcome
            // is unknown. The writes already submitted are in flight and must fail as closed.
            w.pause();
            c.stop(id);
            w.stop(); // every submitted write has its answer
        } finally {
            w.close();
        }
        w.assertFailuresOnly(ZabException.ClosedException.class);
        assertTrue(w.failures().getOrDefault("ClosedException", 0L) > 0,
                "some writes were pending at close: " + w.failures());
        ExecutionException late = assertThrows(ExecutionException.class,
                () -> node.submit(ByteBuffer.allocate(1)).get(5, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.ClosedException.class, late.getCause());
        System.out.printf("close mid-load of node %d: %d acknowledged, failures %s%n", id,
                w.acked().size(), w.failures());
        return w.acked();
    }

    private static void assertAllPresent(Map<String, Zxid> acked, byte[] record, int id) {
        Map<String, Zxid> delivered = HistoryMachine.index(record);
        acked.forEach((payload, zxid) -> assertEquals(zxid, delivered.get(payload),
                "node " + id + " after reopening: acknowledged " + payload));
    }
}
