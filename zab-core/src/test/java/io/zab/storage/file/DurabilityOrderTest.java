package io.zab.storage.file;

import static io.zab.storage.Txns.concat;
import static io.zab.storage.Txns.membershipTxn;
import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.InstallSnapshot;
import io.zab.protocol.Action.SaveEpoch;
import io.zab.protocol.Action.SaveMembership;
import io.zab.protocol.Action.StorageAction;
import io.zab.protocol.Action.TruncateLog;
import io.zab.protocol.PersistentState;
import io.zab.protocol.Txn;
import io.zab.storage.Recovery;
import io.zab.storage.ShmTempDir;
import io.zab.storage.StorageApplier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability order the protocol relies on, at the storage level: the core's storage actions
 * go through {@link StorageApplier} to the file stores, a crash is injected at every file
 * operation in turn (and what was not forced is thrown away, in every {@link CrashFs.Mode}),
 * and {@link Recovery} must find a state the order allows.
 */
class DurabilityOrderTest {
    private static final FileTxnLog.Options SMALL = new FileTxnLog.Options(512, true);

    @TempDir(factory = ShmTempDir.class)
    Path tmp;

    /** The stores of one node on a {@link CrashFs}. */
    private static final class Node implements AutoCloseable {
        final Path dir;
        final CrashFs fs;
        FileTxnLog log;
        FileEpochStore epochs;
        FileSnapshotStore snapshots;
        FileMembershipStore membership;
        StorageApplier applier;

        Node(Path dir) throws IOException {
            this.dir = dir;
            this.fs = new CrashFs(dir);
            open();
        }

        void open() throws IOException {
            epochs = FileEpochStore.open(dir, fs);
            membership = FileMembershipStore.open(dir, fs);
            snapshots = FileSnapshotStore.open(dir.resolve("snapshots"), 2, fs);
            log = FileTxnLog.open(dir.resolve("log"), SMALL, fs);
            applier = new StorageApplier(log, epochs, snapshots, membership);
        }

        /** Applies the actions and syncs; false if an injected crash stopped it. */
        boolean apply(List<StorageAction> actions) throws IOException {
            try {
                for (StorageAction a : actions) {
                    applier.apply(a);
                }
                applier.sync();
                return true;
            } catch (IOException e) {
                assertTrue(fs.crashed(), "only injected crashes expected: " + e);
                return false;
            }
        }

        PersistentState crashAndRecover(CrashFs.Mode mode, Random random) throws IOException {
            fs.crash(mode, random);
            open();
            return Recovery.load(log, epochs, snapshots, membership).state();
        }

        @Override
        public void close() throws IOException {
            log.close();
        }
    }

    /** Runs {@code steps} after {@code setup} with a crash at each operation until none hits. */
    private void everyCrashPoint(String name, List<StorageAction> setup,
            List<StorageAction> steps, Check check) throws IOException {
        Random random = new Random(name.hashCode());
        boolean completed = false;
        for (int k = 0; !completed; k++) {
            for (CrashFs.Mode mode : CrashFs.Mode.values()) {
                try (Node n = new Node(tmp.resolve(name + "-" + k + "-" + mode))) {
                    assertTrue(n.apply(setup));
                    n.fs.crashAtOp(n.fs.ops() + k);
                    completed = n.apply(steps);
                    PersistentState s = n.crashAndRecover(mode, random);
                    check.check(s, completed, n);
                }
            }
        }
    }

    private interface Check {
        void check(PersistentState s, boolean completed, Node n) throws IOException;
    }

    @Test
    void currentEpochIsNeverDurableWithoutTheTxnsAppendedBeforeIt() throws IOException {
        // ZOOKEEPER-4643/4785: a follower syncing by DIFF logs the txns, then saves
        // currentEpoch, then acks NEWLEADER. The epoch must never be durable without the txns.
        List<StorageAction> setup = List.of(new AppendTxns(1, range(1, 1, 5)),
                new SaveEpoch(2, 1, 1), new SaveEpoch(3, 2, 1));
        List<Txn> diff = concat(range(1, 6, 9, 100), range(2, 1, 3, 100));
        List<StorageAction> steps = List.of(new AppendTxns(4, diff), new SaveEpoch(5, 2, 2));
        everyCrashPoint("epoch", setup, steps, (s, completed, n) -> {
            if (s.currentEpoch() == 2 || completed) {
                assertEquals(2, s.currentEpoch());
                assertEquals(concat(range(1, 1, 5), diff), s.log());
            } else {
                assertEquals(1, s.currentEpoch());
                assertTrue(s.log().size() >= 5, "synced txns lost");
            }
            assertEquals(2, s.acceptedEpoch());
        });
    }

    @Test
    void aMembershipIsNeverDurableWithoutTheTxnsAppendedBeforeIt() throws IOException {
        // The membership file says which txn made the membership (its version); were it
        // durable without that txn and those before it, a restarted node would run under a
        // membership its own log cannot explain.
        Txn firstChange = membershipTxn(z(1, 3));
        List<StorageAction> setup = List.of(new AppendTxns(1, concat(range(1, 1, 2),
                List.of(firstChange))), new SaveMembership(2, firstChange.newMembership()));
        Txn change = membershipTxn(z(1, 9));
        List<Txn> more = concat(concat(range(1, 4, 8, 100), List.of(change)),
                range(1, 10, 14, 100));
        List<StorageAction> steps = List.of(new AppendTxns(3, more),
                new SaveMembership(4, change.newMembership()),
                new AppendTxns(5, range(1, 15, 16, 100)));
        everyCrashPoint("membership", setup, steps, (s, completed, n) -> {
            List<Txn> all = concat(concat(range(1, 1, 2), List.of(firstChange)), more);
            if (s.membership().equals(change.newMembership()) || completed) {
                assertEquals(change.newMembership(), s.membership());
                assertTrue(s.log().size() >= all.size(), "txns before the membership lost: "
                        + s.log().size());
                assertEquals(all, s.log().subList(0, all.size()));
                assertTrue(s.log().get(8).membership(), "its txn keeps the flag");
            } else {
                assertEquals(firstChange.newMembership(), s.membership());
                assertEquals(all.subList(0, s.log().size()), s.log());
            }
        });
    }

    @Test
    void acceptedEpochIsDurableWhenSaveEpochReturns() throws IOException {
        everyCrashPoint("accepted", List.of(new SaveEpoch(1, 3, 3)),
                List.of(new SaveEpoch(2, 4, 3)), (s, completed, n) -> {
                    if (completed) {
                        assertEquals(4, s.acceptedEpoch());
                    }
                    assertEquals(3, s.currentEpoch());
                });
    }

    @Test
    void aTruncationIsNeverLostWhileLaterAppendsSurvive() throws IOException {
        // TRUNC during sync: drop an uncommitted suffix, then take the leader's txns. A crash
        // must never show the new txns on top of the suffix that was to be dropped.
        List<StorageAction> setup = List.of(new AppendTxns(1, range(1, 1, 30, 40)));
        List<Txn> fresh = range(2, 1, 12, 40);
        List<StorageAction> steps = List.of(new TruncateLog(2, z(1, 4)),
                new AppendTxns(3, fresh));
        List<Txn> truncated = concat(range(1, 1, 4, 40), fresh);
        everyCrashPoint("trunc", setup, steps, (s, completed, n) -> {
            List<Txn> log = s.log();
            boolean untouched = log.equals(range(1, 1, 30, 40));
            boolean prefix = log.size() >= 4 && log.size() <= truncated.size()
                    && truncated.subList(0, log.size()).equals(log);
            assertTrue(untouched || prefix, "not a prefix of the operations: " + log);
            if (completed) {
                assertEquals(truncated, log);
            }
        });
    }

    @Test
    void installSnapshotCrashesLeaveTheOldStateOrTheNew() throws IOException {
        List<StorageAction> setup = List.of(new AppendTxns(1, range(1, 1, 20, 50)),
                new SaveEpoch(2, 1, 1));
        byte[] snap = new byte[3000];
        new Random(1).nextBytes(snap);
        List<StorageAction> steps = new java.util.ArrayList<>();
        steps.add(new AppendTxns(3, range(1, 21, 22, 50)));
        steps.addAll(io.zab.storage.Txns.snapshotInstall(4, z(2, 40), snap));
        steps.add(new AppendTxns(6, range(2, 41, 43)));
        everyCrashPoint("snap", setup, steps, (s, completed, n) -> {
            if (s.snapshotZxid().equals(Zxid.ZERO)) {
                assertTrue(s.log().size() >= 20 && s.log().size() <= 22, "old: " + s.log());
                assertEquals(range(1, 1, s.log().size(), 50), s.log());
            } else {
                assertEquals(z(2, 40), s.snapshotZxid());
                assertArrayEquals(snap, n.snapshots.latest().get().data());
                List<Txn> after = range(2, 41, 43);
                assertEquals(after.subList(0, s.log().size()), s.log());
            }
            if (completed) {
                assertEquals(z(2, 40), s.snapshotZxid());
                assertEquals(range(2, 41, 43), s.log());
            }
        });
    }
}
