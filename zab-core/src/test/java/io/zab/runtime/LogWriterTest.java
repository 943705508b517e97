package io.zab.runtime;

import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.txn;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.SaveEpoch;
import io.zab.protocol.Action.StorageAction;
import io.zab.protocol.Txn;
import io.zab.storage.LogCapture;
import io.zab.storage.MembershipStore;
import io.zab.storage.file.CrashFs;
import io.zab.storage.file.FileTxnLog;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemoryMembershipStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log-writer thread: group commit, durable before reported, final failures, back-pressure. */
class LogWriterTest {
    private static final long WAIT_S = 20;

    @TempDir
    Path dir;

    /** Records what the writer reports, for the test thread to wait on. */
    private static class Reports implements LogWriter.Listener {
        /** Reads answered: the txns, or the reason they failed. */
        final BlockingQueue<Object> reads = new LinkedBlockingQueue<>();
        final BlockingQueue<Long> persisted = new LinkedBlockingQueue<>();
        final BlockingQueue<Exception> failures = new LinkedBlockingQueue<>();
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final List<Long> all = Collections.synchronizedList(new ArrayList<>());
        volatile long highest = -1;

        @Override
        public void onPersisted(long seq) {
            if (seq <= highest) {
                problems.add("persisted " + seq + " after " + highest);
            }
            highest = seq;
            all.add(seq);
            persisted.add(seq);
        }

        @Override
        public void onFailure(Exception cause) {
            failures.add(cause);
        }

        @Override
        public void onLogRead(io.zab.PeerId learner, Zxid after, List<Txn> txns) {
            reads.add(txns);
        }

        @Override
        public void onLogReadFailed(io.zab.PeerId learner, Zxid after, String reason) {
            reads.add(reason);
        }

        Object awaitRead() throws InterruptedException {
            Object got = reads.poll(WAIT_S, TimeUnit.SECONDS);
            if (got == null) {
                throw new AssertionError("a read was never answered");
            }
            return got;
        }

        void awaitPersisted(long seq) throws InterruptedException {
            while (highest < seq) {
                Long got = persisted.poll(WAIT_S, TimeUnit.SECONDS);
                if (got == null) {
                    throw new AssertionError("seq " + seq + " never persisted; last " + highest);
                }
            }
        }
    }

    /** A memory log whose sync waits for a permit, so the test can hold a batch open. */
    private static final class GatedLog extends io.zab.storage.ForwardingTxnLog {
        final Semaphore permits = new Semaphore(0);
        final CountDownLatch firstSync = new CountDownLatch(1);
        volatile int syncs;
        volatile IOException failSync;

        @Override
        public void sync() throws IOException {
            firstSync.countDown();
            try {
                if (!permits.tryAcquire(WAIT_S, TimeUnit.SECONDS)) {
                    throw new IOException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (failSync != null) {
                throw failSync;
            }
            syncs++;
            log.sync();
        }
    }

    private static AppendTxns append(long seq) {
        return new AppendTxns(seq, List.of(txn(1, seq)));
    }

    /**
     * Reads for learners are served in queue order with the writes and purges: one asked for
     * after an append sees it, one asked for before a purge is served before it, one after it
     * fails (the txn right after is gone); a bound in bytes holds.
     */
    @Test
    void servesReadsInQueueOrderWithWritesAndPurges() throws Exception {
        FileTxnLog log = FileTxnLog.open(dir.resolve("log"), new FileTxnLog.Options(4096, false));
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 50, Long.MAX_VALUE, reports);
        w.start();
        io.zab.PeerId learner = io.zab.PeerId.of(2);
        w.submit(new AppendTxns(1, range(1, 1, 200, 100)));
        w.read(learner, z(1, 10), 350);
        w.purge(z(1, 150));
        w.read(learner, z(1, 10), 350);
        w.read(learner, z(1, 150), 1 << 20);
        assertEquals(range(1, 11, 13, 100), reports.awaitRead(), "after the append, bounded");
        Object afterPurge = reports.awaitRead();
        assertTrue(afterPurge instanceof String s && s.contains("no longer holds"),
                "the purge dropped (1,11): " + afterPurge);
        assertEquals(range(1, 151, 200, 100), reports.awaitRead());
        reports.awaitPersisted(1);
        w.close();
        log.close();
    }

    @Test
    void batchesWhatQueuesUpDuringAForce() throws Exception {
        GatedLog log = new GatedLog();
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 50, Long.MAX_VALUE, reports);
        w.start();
        w.submit(append(1));
        assertTrue(log.firstSync.await(WAIT_S, TimeUnit.SECONDS));
        for (long seq = 2; seq <= 40; seq++) {
            w.submit(append(seq)); // all wait while the first batch is being forced
        }
        assertTrue(reports.all.isEmpty(), "nothing is reported before its force returns");
        log.permits.release(100);
        reports.awaitPersisted(40);
        assertEquals(2, log.syncs, "one force for the first action, one for the 39 after it");
        assertEquals(List.of(1L, 40L), reports.all);
        assertEquals(range(1, 1, 40), log.readAfter(Zxid.ZERO));
        assertEquals(List.of(), reports.problems);
        w.close();
    }

    @Test
    void endsABatchOnceItHoldsMaxBatchBytes() throws Exception {
        GatedLog log = new GatedLog();
        Reports reports = new Reports();
        int txnBytes = txn(1, 2).data().length;
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 50, 10L * txnBytes, reports);
        w.start();
        w.submit(append(1));
        assertTrue(log.firstSync.await(WAIT_S, TimeUnit.SECONDS));
        for (long seq = 2; seq <= 31; seq++) {
            w.submit(append(seq)); // 30 txns queue up behind the first force
        }
        log.permits.release(100);
        reports.awaitPersisted(31);
        assertEquals(4, log.syncs, "the first action, then three batches of ten txns' bytes");
        assertEquals(List.of(1L, 11L, 21L, 31L), reports.all);
        assertEquals(range(1, 1, 31), log.readAfter(Zxid.ZERO));
        w.close();
    }

    @Test
    void takesWithoutBlockingWhileAForceIsStuckAndCountsTheQueuedBytes() throws Exception {
        GatedLog log = new GatedLog();
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 10, Long.MAX_VALUE, reports);
        w.start();
        w.submit(append(1));
        assertTrue(log.firstSync.await(WAIT_S, TimeUnit.SECONDS));
        // The first force is stuck; a protocol thread submitting more must never wait here.
        Thread submitter = new Thread(() -> {
            for (long seq = 2; seq <= 5_000; seq++) {
                w.submit(append(seq));
            }
        });
        submitter.start();
        submitter.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        assertFalse(submitter.isAlive(), "submit never blocks on a stuck force");
        assertEquals(4_999L * txn(1, 2).data().length, w.queuedBytes());
        log.permits.release(10_000);
        reports.awaitPersisted(5_000);
        assertEquals(0, w.queuedBytes());
        w.close();
    }

    @Test
    void aFailedForceIsFinalAndNothingAfterItIsReported() throws Exception {
        try (LogCapture logs = new LogCapture(LogWriter.class)) {
            failedForce();
            assertEquals(1, logs.warnings().size(), "one ERROR: " + logs.warnings());
        }
    }

    private void failedForce() throws Exception {
        GatedLog log = new GatedLog();
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 10, Long.MAX_VALUE, reports);
        w.start();
        w.submit(append(1));
        log.permits.release();
        reports.awaitPersisted(1);
        log.failSync = new IOException("Input/output error");
        w.submit(append(2));
        w.submit(append(3));
        log.permits.release(100);
        Exception cause = reports.failures.poll(WAIT_S, TimeUnit.SECONDS);
        assertEquals("Input/output error", cause.getMessage());
        log.failSync = null; // the disk "recovers": the writer must still not ack (fsyncgate)
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> w.submit(append(4)));
        assertTrue(e.getMessage().contains("failed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> w.purge(z(1, 1)));
        w.close();
        assertEquals(List.of(1L), reports.all);
        assertTrue(reports.failures.isEmpty(), "onFailure once");
        assertEquals(cause, w.failure());
    }

    @Test
    void rejectsSeqsOutOfOrder() throws Exception {
        Reports reports = new Reports();
        LogCapture logs = new LogCapture(LogWriter.class);
        LogWriter w = new LogWriter("t", new MemoryTxnLog(), new MemoryEpochStore(),
                new MemorySnapshotStore(), new MemoryMembershipStore(), 10, Long.MAX_VALUE,
                reports);
        w.start();
        w.submit(new SaveEpoch(5, 1, 0));
        reports.awaitPersisted(5);
        w.submit(new SaveEpoch(5, 2, 0));
        Exception cause = reports.failures.poll(WAIT_S, TimeUnit.SECONDS);
        assertTrue(cause instanceof IllegalStateException, String.valueOf(cause));
        w.close();
        logs.close();
    }

    @Test
    void aMembershipIsSavedAfterTheTxnsBeforeItAreForced() throws Exception {
        MemoryTxnLog log = new MemoryTxnLog();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Txn change = io.zab.storage.Txns.membershipTxn(z(1, 2));
        MemoryMembershipStore saved = new MemoryMembershipStore();
        MembershipStore store = new MembershipStore() {
            @Override
            public java.util.Optional<io.zab.Membership> committed() {
                return saved.committed();
            }

            @Override
            public void save(io.zab.Membership m) {
                if (!log.durableTxns().equals(List.of(txn(1, 1), change))) {
                    problems.add("saved with durable log " + log.durableTxns());
                }
                saved.save(m);
            }
        };
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                store, 10, Long.MAX_VALUE, reports);
        w.start();
        w.submit(new AppendTxns(1, List.of(txn(1, 1), change)));
        w.submit(new io.zab.protocol.Action.SaveMembership(2, change.newMembership()));
        reports.awaitPersisted(2);
        w.close();
        assertEquals(List.of(), problems);
        assertEquals(change.newMembership(), saved.committed().get());
    }

    @Test
    void whatIsReportedPersistedIsOnDisk() throws Exception {
        // On real files through the crash model: at every report, a power cut right then
        // (keeping only what was forced) must still hold every txn up to the reported seq.
        CrashFs fs = new CrashFs(dir.resolve("log"));
        FileTxnLog log = FileTxnLog.open(dir.resolve("log"), new FileTxnLog.Options(4096, true),
                fs);
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Reports reports = new Reports() {
            @Override
            public void onPersisted(long seq) {
                Path copy = dir.resolve("durable-at-" + seq);
                try {
                    fs.copyDurable(dir.resolve("log"), copy);
                    try (FileTxnLog durable = FileTxnLog.open(copy,
                            new FileTxnLog.Options(4096, true))) {
                        if (durable.lastZxid().isBefore(z(1, seq))) {
                            problems.add("seq " + seq + " reported, disk has "
                                    + durable.lastZxid());
                        }
                    }
                } catch (IOException e) {
                    problems.add(e.toString());
                }
                super.onPersisted(seq);
            }
        };
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 16, Long.MAX_VALUE, reports);
        w.start();
        for (long seq = 1; seq <= 120; seq++) {
            w.submit(new AppendTxns(seq, List.of(io.zab.storage.Txns.txn(z(1, seq), 100))));
        }
        reports.awaitPersisted(120);
        w.close();
        log.close();
        assertEquals(List.of(), problems);
        assertTrue(w.batches() < 120, "some batching happened: " + w.batches());
    }

    @Test
    void purgesBetweenBatches() throws Exception {
        FileTxnLog log = FileTxnLog.open(dir, new FileTxnLog.Options(512, false));
        Reports reports = new Reports();
        LogWriter w = new LogWriter("t", log, new MemoryEpochStore(), new MemorySnapshotStore(),
                new MemoryMembershipStore(), 16, Long.MAX_VALUE, reports);
        w.start();
        for (long seq = 1; seq <= 30; seq++) {
            w.submit(new AppendTxns(seq, List.of(io.zab.storage.Txns.txn(z(1, seq), 100))));
        }
        w.purge(z(1, 20));
        w.submit(new AppendTxns(31, List.of(txn(1, 31))));
        reports.awaitPersisted(31);
        w.close();
        assertTrue(log.base().isAfter(z(1, 10)) && !log.base().isAfter(z(1, 20)),
                "base " + log.base());
        log.close();
    }
}
