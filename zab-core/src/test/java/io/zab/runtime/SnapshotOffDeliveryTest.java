package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import io.zab.testing.RecordingStateMachine;
import io.zab.transport.LoopbackNetwork;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A periodic snapshot stops delivery only for {@code snapshotView()}: while the view is being
 * written (here: held on a latch) new txns keep committing and being delivered; once it is
 * written the snapshot is saved at the zxid the view was taken at.
 */
class SnapshotOffDeliveryTest {
    /** Counts deliveries; its snapshot view blocks until released. */
    static final class SlowSnapshots extends RecordingStateMachine {
        final CountDownLatch viewTaken = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        /** Later views wait for this one, so the first saved snapshot stays the latest. */
        final CountDownLatch releaseLater = new CountDownLatch(1);
        volatile Zxid viewAt;

        @Override
        public SnapshotWriter snapshotView() {
            List<String> copy = values();
            Zxid at = last();
            CountDownLatch gate = releaseLater;
            if (viewAt == null) {
                viewAt = at;
                gate = release;
                viewTaken.countDown();
            }
            CountDownLatch wait = gate;
            return out -> {
                try {
                    wait.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                DataOutputStream d = new DataOutputStream(out);
                d.writeInt(copy.size());
                for (String v : copy) {
                    d.writeUTF(v);
                }
                d.flush();
            };
        }
    }

    @Test
    void deliveryGoesOnWhileASnapshotIsWritten() throws Exception {
        LoopbackNetwork net = new LoopbackNetwork();
        List<ZabNode> nodes = new ArrayList<>();
        List<SlowSnapshots> machines = new ArrayList<>();
        List<MemorySnapshotStore> snaps = new ArrayList<>();
        try {
            for (int id = 1; id <= 3; id++) {
                ZabConfig.Builder b = ZabConfig.builder().peerId(id).tickIntervalMs(20)
                        .syncLimitTicks(100).initLimitTicks(100).snapshotEveryTxns(10);
                for (int i = 1; i <= 3; i++) {
                    b.voter(i, new InetSocketAddress("127.0.0.1", 1));
                }
                SlowSnapshots sm = new SlowSnapshots();
                MemorySnapshotStore store = new MemorySnapshotStore();
                nodes.add(new NodeWiring().config(b.build()).stateMachine(sm)
                        .transport(net.transport())
                        .electionFactory(io.zab.election.QuorumMaxElection::new)
                        .stores(new MemoryTxnLog(), new MemoryEpochStore(), store,
                                new io.zab.storage.memory.MemoryMembershipStore()).build()
                        .start());
                machines.add(sm);
                snaps.add(store);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (nodes.stream().noneMatch(n -> n.status().role() == Role.LEADING
                    && n.status().broadcasting())) {
                assertTrue(System.nanoTime() < deadline, "a leader");
                Thread.sleep(10);
            }
            ZabNode leader = nodes.stream().filter(n -> n.status().role() == Role.LEADING)
                    .findFirst().orElseThrow();
            SlowSnapshots sm = machines.get(nodes.indexOf(leader));
            for (int i = 0; i < 15; i++) {
                leader.submit(ByteBuffer.wrap(("a" + i).getBytes())).get(10, TimeUnit.SECONDS);
            }
            assertTrue(sm.viewTaken.await(10, TimeUnit.SECONDS), "a snapshot view was taken");
            for (int i = 0; i < 50; i++) {
                leader.submit(ByteBuffer.wrap(("b" + i).getBytes())).get(10, TimeUnit.SECONDS);
            }
            assertEquals(65, sm.values().size(), "delivery went on while the view was held");
            MemorySnapshotStore store = snaps.get(nodes.indexOf(leader));
            assertFalse(store.latest().isPresent(), "nothing saved before the view is written");
            sm.release.countDown();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (store.latest().isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "the snapshot is saved");
                Thread.sleep(10);
            }
            assertEquals(sm.viewAt, store.latest().get().zxid());
        } finally {
            machines.forEach(m -> {
                m.release.countDown();
                m.releaseLater.countDown();
            });
            nodes.forEach(ZabNode::close);
        }
    }
}
