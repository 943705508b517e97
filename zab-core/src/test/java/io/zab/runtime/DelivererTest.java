package io.zab.runtime;

import static io.zab.storage.Txns.membershipTxn;
import static io.zab.storage.Txns.txn;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.StateMachine;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Outcome;
import io.zab.protocol.Txn;
import io.zab.storage.memory.MemorySnapshotStore;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The delivery thread: a membership txn moves the delivered position but not the host. */
class DelivererTest {
    private static final long WAIT_S = 20;

    /** Every call the deliverer makes, in order, as text; applied marks also to a queue. */
    private static final class Calls implements Deliverer.Listener, StateMachine {
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final BlockingQueue<Zxid> applied = new LinkedBlockingQueue<>();

        @Override
        public Object deliver(Zxid zxid, ByteBuffer txn) {
            log.add("deliver " + zxid);
            return "value of " + zxid;
        }

        @Override
        public void snapshot(OutputStream out) {
        }

        @Override
        public void restore(InputStream in) {
        }

        @Override
        public void delivered(long requestId, Zxid zxid, Object value) {
            log.add("complete " + requestId + " " + zxid + " " + value);
        }

        @Override
        public void completed(long requestId, Outcome outcome) {
            log.add("completed " + requestId + " " + outcome);
        }

        @Override
        public void applied(Zxid zxid) {
            applied.add(zxid);
        }

        @Override
        public void membershipChanged(Membership committed) {
            log.add("membership " + committed.version() + " " + committed.voters().keySet());
        }

        @Override
        public void snapshotTaken(PeerId learner, Zxid zxid, long size, int crc) {
        }

        @Override
        public void snapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) {
        }

        @Override
        public void snapshotFailed(PeerId learner, Zxid zxid, String reason) {
        }

        @Override
        public void failed(Throwable error) {
            log.add("failed " + error);
        }

        @Override
        public void snapshotSaved(Zxid zxid) {
        }

        void awaitApplied(Zxid zxid) throws InterruptedException {
            for (;;) {
                Zxid got = applied.poll(WAIT_S, TimeUnit.SECONDS);
                if (got == null) {
                    throw new AssertionError("never applied up to " + zxid + "; " + log);
                }
                if (got.equals(zxid)) {
                    return;
                }
            }
        }
    }

    private final Calls calls = new Calls();
    private final Deliverer deliverer = new Deliverer("test", calls, new MemorySnapshotStore(),
            Zxid.ZERO, Long.MAX_VALUE, Long.MAX_VALUE, calls);

    @AfterEach
    void stop() {
        deliverer.close();
    }

    @Test
    void aMembershipTxnSkipsTheStateMachineButMovesThePositionAndCompletesItsRequest()
            throws Exception {
        Txn change = membershipTxn(z(1, 2));
        deliverer.start();
        deliverer.submit(new Action.RequestProposed(7, z(1, 2)));
        deliverer.submit(new Action.RequestProposed(8, z(1, 3)));
        deliverer.submit(new Action.Deliver(List.of(txn(1, 1), change, txn(1, 3))));
        calls.awaitApplied(z(1, 3));
        assertEquals(List.of("deliver " + z(1, 1),
                "membership " + z(1, 2) + " " + change.newMembership().voters().keySet(),
                "complete 7 " + z(1, 2) + " null",
                "deliver " + z(1, 3),
                "complete 8 " + z(1, 3) + " value of " + z(1, 3)), calls.log);
        assertEquals(z(1, 3), deliverer.lastDelivered());
        assertEquals(0, deliverer.queuedBytes());
    }

    @Test
    void aBatchOfOnlyAMembershipTxnIsAppliedUpToIt() throws Exception {
        deliverer.start();
        deliverer.submit(new Action.Deliver(List.of(txn(1, 1))));
        deliverer.submit(new Action.Deliver(List.of(membershipTxn(z(1, 2)))));
        calls.awaitApplied(z(1, 2));
        assertEquals(z(1, 2), deliverer.lastDelivered());
        assertEquals(List.of("deliver " + z(1, 1), "membership " + z(1, 2) + " "
                + membershipTxn(z(1, 2)).newMembership().voters().keySet()), calls.log);
    }

}
