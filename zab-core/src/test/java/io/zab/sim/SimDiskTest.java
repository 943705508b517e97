package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.InstallSnapshot;
import io.zab.protocol.Action.SaveEpoch;
import io.zab.protocol.Action.SaveMembership;
import io.zab.protocol.Action.TruncateLog;
import io.zab.protocol.PersistentState;
import io.zab.protocol.Txn;
import io.zab.storage.Recovery;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The disk model: crash semantics of MemoryTxnLog as the simulator uses them, and the shadow. */
class SimDiskTest {
    private long seq;

    private static Txn txn(long epoch, long counter) {
        return new Txn(new Zxid(epoch, counter), new byte[] {(byte) counter});
    }

    private AppendTxns append(Txn... txns) {
        return new AppendTxns(++seq, List.of(txns));
    }

    @Test
    void onlySyncedWritesAreDurable() throws IOException {
        SimDisk disk = new SimDisk();
        disk.apply(append(txn(1, 1), txn(1, 2)));
        assertFalse(disk.durablyHolds(new Zxid(1, 1)), "not synced yet");
        disk.sync();
        assertTrue(disk.durablyHolds(new Zxid(1, 2)));
        disk.apply(append(txn(1, 3)));
        disk.crash(new SplittableRandom(1));
        disk.verifyShadow(1);
        assertTrue(disk.durablyHolds(new Zxid(1, 2)), "synced txns survive any crash");
    }

    @Test
    void anEpochWriteForcesTheLogFirst() throws IOException {
        SimDisk disk = new SimDisk();
        disk.apply(append(txn(1, 1)));
        disk.apply(new SaveEpoch(++seq, 2, 1));
        assertTrue(disk.durablyHolds(new Zxid(1, 1)), "txns before currentEpoch (ZK-4643)");
        assertEquals(2, disk.epochs().acceptedEpoch());
    }

    @Test
    void epochsOnDiskNeverGoBack() throws IOException {
        SimDisk disk = new SimDisk();
        disk.apply(new SaveEpoch(++seq, 3, 2));
        AssertionError e = assertThrows(AssertionError.class,
                () -> disk.apply(new SaveEpoch(++seq, 2, 2)));
        assertTrue(e.getMessage().startsWith("PersistedEpochs"), e.getMessage());
    }

    private static Membership members(Zxid version, int... voters) {
        Map<PeerId, String> v = new TreeMap<>();
        for (int id : voters) {
            v.put(PeerId.of(id), "n" + id + ":1");
        }
        return new Membership(version, v, Map.of());
    }

    @Test
    void aMembershipWriteForcesTheLogFirstAndSurvivesEveryCrash() throws IOException {
        SimDisk disk = new SimDisk();
        Membership next = members(new Zxid(1, 2), 1, 2, 3, 4);
        disk.apply(append(txn(1, 1), Txn.membershipChange(new Zxid(1, 2), next)));
        disk.apply(new SaveMembership(++seq, next));
        assertTrue(disk.durablyHolds(new Zxid(1, 2)), "the txn of the membership first");
        disk.apply(append(txn(1, 3)));
        disk.crash(() -> 0L);
        PersistentState state = Recovery.load(disk.log(), disk.epochs(), disk.snapshots(),
                disk.membership()).state();
        assertEquals(next, state.membership(), "saved is durable, as an epoch is");
        assertEquals(new Zxid(1, 2), state.lastZxid());
        assertTrue(state.log().get(1).membership(), "the flag survives the crash");
        disk.wipe();
        assertTrue(disk.membership().committed().isEmpty(), "a blank disk has none");
        assertNull(Recovery.load(disk.log(), disk.epochs(), disk.snapshots(),
                disk.membership()).state().membership());
    }

    @Test
    void theMembershipOnDiskNeverGoesBack() throws IOException {
        SimDisk disk = new SimDisk();
        disk.apply(new SaveMembership(++seq, members(new Zxid(2, 4), 1, 2, 3)));
        disk.apply(new SaveMembership(++seq, members(new Zxid(2, 4), 1, 2, 3)));
        AssertionError e = assertThrows(AssertionError.class,
                () -> disk.apply(new SaveMembership(++seq, members(new Zxid(2, 3), 1, 2))));
        assertTrue(e.getMessage().startsWith("PersistedMembership"), e.getMessage());
    }

    /**
     * Random appends, truncates, syncs and crashes: after each crash the log is the synced state
     * plus some prefix of the later writes (the last append possibly torn), and the shadow
     * equals the log's durable part.
     */
    @Test
    void aCrashKeepsTheSyncedStatePlusAPrefixOfLaterWrites() throws IOException {
        for (long s = 0; s < 300; s++) {
            SplittableRandom r = new SplittableRandom(s);
            SimDisk disk = new SimDisk();
            List<Zxid> synced = new ArrayList<>();
            List<Object> since = new ArrayList<>();
            for (int step = 0; step < 60; step++) {
                int op = r.nextInt(10);
                Zxid last = disk.log().lastZxid();
                if (op < 5) {
                    long epoch = last.epoch() + (r.nextInt(4) == 0 ? 1 : 0);
                    long c = last.epoch() == epoch ? last.counter() : 0;
                    Txn[] batch = new Txn[1 + r.nextInt(3)];
                    for (int i = 0; i < batch.length; i++) {
                        batch[i] = txn(Math.max(1, epoch), c + 1 + i);
                    }
                    AppendTxns a = append(batch);
                    disk.apply(a);
                    since.add(a);
                } else if (op < 6 && !last.equals(disk.log().base())) {
                    List<Txn> all = disk.log().readAfter(disk.log().base());
                    TruncateLog t = new TruncateLog(++seq, all.get(r.nextInt(all.size())).zxid());
                    disk.apply(t);
                    since.add(t);
                } else if (op < 8) {
                    disk.sync();
                    synced = zxids(disk);
                    since.clear();
                } else {
                    disk.crash(r);
                    List<Zxid> now = zxids(disk);
                    assertTrue(possibleAfterCrash(synced, since).contains(now), "seed " + s
                            + ": " + now + " is not the synced " + synced + " plus a prefix of "
                            + since);
                    synced = now;
                    since.clear();
                }
                disk.verifyShadow(1);
            }
        }
    }

    /** Every log a crash may leave: the synced one, then each prefix of the later writes. */
    private static List<List<Zxid>> possibleAfterCrash(List<Zxid> synced, List<Object> since) {
        List<List<Zxid>> out = new ArrayList<>();
        List<Zxid> state = new ArrayList<>(synced);
        out.add(List.copyOf(state));
        for (Object op : since) {
            if (op instanceof AppendTxns a) {
                for (Txn t : a.txns()) {
                    state.add(t.zxid());
                    out.add(List.copyOf(state));
                }
            } else {
                Zxid keep = ((TruncateLog) op).lastKept();
                state.removeIf(z -> z.isAfter(keep));
                out.add(List.copyOf(state));
            }
        }
        return out;
    }

    private static List<Zxid> zxids(SimDisk disk) {
        List<Zxid> out = new ArrayList<>();
        for (Txn t : disk.log().durableTxns()) {
            out.add(t.zxid());
        }
        return out;
    }

    @Test
    void aSnapshotInstallInterruptedBeforeTheLogResetIsRecoveredFromTheSnapshot()
            throws IOException {
        SimDisk disk = new SimDisk();
        disk.apply(append(txn(1, 1), txn(1, 2)));
        disk.sync();
        SimStateMachine leaderState = new SimStateMachine();
        leaderState.apply(new Zxid(2, 5), new byte[] {5});
        for (io.zab.protocol.Action.StorageAction a : io.zab.storage.Txns.snapshotInstall(
                seq + 1, new Zxid(2, 5), leaderState.snapshotBytes())) {
            disk.apply(a);
        }
        seq += 2;
        // Crash before the reset is synced, dropping it: the old log stays beside the snapshot.
        RandomGenerator keepNothing = () -> 0L;
        disk.crash(keepNothing);
        PersistentState state = Recovery.load(disk.log(), disk.epochs(), disk.snapshots(),
                disk.membership()).state();
        disk.rebuildShadow();
        disk.verifyShadow(1);
        assertEquals(new Zxid(2, 5), state.snapshotZxid());
        assertTrue(state.log().isEmpty(), "the old history does not reach the snapshot");
    }

    @Test
    void aMembershipTxnTakesAPositionButNotTheHostsState() {
        SimStateMachine host = new SimStateMachine();
        host.apply(new Zxid(1, 1), new byte[] {1});
        long before = host.hash();
        Txn change = Txn.membershipChange(new Zxid(1, 2), members(Zxid.ZERO, 1, 2));
        assertEquals(2, host.applyMembership(change.zxid(), change.data()));
        assertEquals(before, host.hash(), "the host-visible state is untouched");
        assertEquals(new Zxid(1, 2), host.lastZxid());
        assertEquals(change.newMembership(), host.membership());
        SimStateMachine asHostData = new SimStateMachine();
        asHostData.apply(new Zxid(1, 1), new byte[] {1});
        asHostData.apply(change.zxid(), change.data());
        assertTrue(asHostData.hash() != host.hash(), "a node that gave it to its host differs");
        SimStateMachine restored = new SimStateMachine();
        restored.restoreBytes(host.snapshotBytes());
        assertEquals(List.of(2L, new Zxid(1, 2), before),
                List.of(restored.count(), restored.lastZxid(), restored.hash()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> host.applyMembership(new Zxid(1, 3), change.data()));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    @Test
    void stateMachineSnapshotsRoundTripAndBadOnesAreRefused() {
        SimStateMachine a = new SimStateMachine();
        a.apply(new Zxid(1, 1), new byte[] {1});
        a.apply(new Zxid(1, 2), new byte[] {2});
        SimStateMachine b = new SimStateMachine();
        b.restoreBytes(a.snapshotBytes());
        assertEquals(a.hash(), b.hash());
        assertEquals(2, b.count());
        assertArrayEquals(a.snapshotBytes(), b.snapshotBytes());
        b.apply(new Zxid(1, 3), new byte[] {3});
        a.apply(new Zxid(1, 3), new byte[] {4});
        assertTrue(a.hash() != b.hash(), "a different payload gives a different chain");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.restoreBytes(new byte[3]));
        assertTrue(e.getMessage().contains("3 bytes"), e.getMessage());
    }
}
