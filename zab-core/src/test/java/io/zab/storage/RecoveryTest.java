package io.zab.storage;

import static io.zab.storage.Txns.concat;
import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Start-up reads of the log: what recovery keeps, and how much of the log it reads. */
class RecoveryTest {
    /** A log that counts the payload bytes every read returns. */
    private static final class CountingLog extends ForwardingTxnLog {
        final List<Zxid> unboundedReads = new ArrayList<>();
        long bytesRead;

        @Override
        public List<Txn> readAfter(Zxid after) {
            unboundedReads.add(after);
            return counted(log.readAfter(after));
        }

        @Override
        public List<Txn> readAfter(Zxid after, long maxBytes) {
            return counted(log.readAfter(after, maxBytes));
        }

        private List<Txn> counted(List<Txn> txns) {
            txns.forEach(t -> bytesRead += t.data().length);
            return txns;
        }
    }

    private final CountingLog log = new CountingLog();
    private final MemorySnapshotStore snapshots = new MemorySnapshotStore();

    private Recovery recover() throws IOException {
        return Recovery.load(log, new MemoryEpochStore(), snapshots, new MemoryMembershipStore());
    }

    @Test
    void aLogKeptFarBehindTheSnapshotIsReadOnlyFromTheSnapshotOn() throws IOException {
        // The log still holds the intervals of older snapshots: 9,000 txns before the newest.
        log.append(range(1, 1, 10_000, 1024));
        log.sync();
        snapshots.save(z(1, 9_000), new byte[] {1});

        Recovery r = recover();

        assertEquals(range(1, 9_001, 10_000, 1024), r.state().log());
        assertEquals(List.of(z(1, 9_000)), log.unboundedReads);
        long tail = 1_000L * range(1, 1, 1, 1024).get(0).data().length;
        assertTrue(log.bytesRead <= tail + 2 * 1024 + 64,
                "read " + log.bytesRead + " bytes to recover a tail of " + tail);
    }

    @Test
    void theSnapshotsOwnTxnInTheLogCountsAcrossAnEpochChange() throws IOException {
        log.append(concat(range(1, 1, 5), range(2, 1, 3)));
        log.sync();
        snapshots.save(z(2, 1), new byte[] {1});

        assertEquals(range(2, 2, 3), recover().state().log());
    }

    @Test
    void aLogOfAnotherHistoryThanTheSnapshotIsDropped() throws IOException {
        // The log went from epoch 1 to epoch 3; the snapshot is of epoch 2's history, which
        // the log does not hold, though it spans the snapshot's zxid.
        log.append(concat(range(1, 1, 5), range(3, 1, 3)));
        log.sync();
        snapshots.save(z(2, 4), new byte[] {1});

        Recovery r = recover();

        assertEquals(List.of(), r.state().log());
        assertEquals(z(2, 4), log.base());
    }

    @Test
    void aLogThatEndsBeforeTheSnapshotIsDropped() throws IOException {
        log.append(range(1, 1, 5));
        log.sync();
        snapshots.save(z(1, 20), new byte[] {1});

        Recovery r = recover();

        assertEquals(List.of(), r.state().log());
        assertEquals(z(1, 20), log.base());
    }
}
