package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.memory.MemoryTxnLog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The durable mark moves up only with a sync that returned; a truncation can lower it. */
class DurableMarkLogTest {
    private static List<Txn> txns(long epoch, long from, long to) {
        List<Txn> out = new ArrayList<>();
        for (long c = from; c <= to; c++) {
            out.add(new Txn(new Zxid(epoch, c), new byte[] {(byte) c}));
        }
        return out;
    }

    @Test
    void theMarkFollowsSyncsAndTruncations() throws Exception {
        MemoryTxnLog inner = new MemoryTxnLog();
        inner.append(txns(1, 1, 3));
        DurableMarkLog log = new DurableMarkLog(inner);
        assertEquals(new Zxid(1, 3), log.durableMark(), "what was there at open");
        log.append(txns(1, 4, 6));
        assertEquals(new Zxid(1, 3), log.durableMark(), "appended, not synced");
        log.sync();
        assertEquals(new Zxid(1, 6), log.durableMark());
        log.append(txns(1, 7, 8));
        log.truncateAfter(new Zxid(1, 7));
        assertEquals(new Zxid(1, 6), log.durableMark(), "7 was never synced");
        log.truncateAfter(new Zxid(1, 2));
        assertEquals(new Zxid(1, 2), log.durableMark(), "a truncation lowers it");
        log.append(txns(2, 1, 2));
        log.sync();
        assertEquals(new Zxid(2, 2), log.durableMark());
        log.reset(new Zxid(3, 10));
        assertEquals(new Zxid(2, 2), log.durableMark(), "a reset is durable only once synced");
        log.sync();
        assertEquals(new Zxid(3, 10), log.durableMark());
    }
}
