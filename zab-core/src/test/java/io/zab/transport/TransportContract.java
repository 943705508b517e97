package io.zab.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import io.zab.transport.RecordingReceiver.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Transport} must do, Ratis-style: an implementation binds it with an empty
 * subclass that says how to lay out a cluster and create a member's transport. Messages are
 * {@link Ping}s whose epoch names the sending thread and whose round is a sequence number, so
 * order and gaps are checkable. Every wait has a deadline.
 */
public abstract class TransportContract {
    protected static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final PeerId ONE = PeerId.of(1);
    private static final PeerId TWO = PeerId.of(2);
    private static final PeerId THREE = PeerId.of(3);

    private final Map<PeerId, Transport> running = new HashMap<>();

    /** Lays out a fresh cluster with members 1 to {@code size} (addresses, ports, keys). */
    protected abstract void prepareCluster(int size) throws Exception;

    /**
     * A new, unstarted transport for member {@code id} of the prepared cluster. Called again
     * for the same id after the previous one was closed, to restart it at the same address.
     */
    protected abstract Transport create(PeerId id) throws Exception;

    /** Where member {@code id} of the prepared cluster listens: what updatePeers is given. */
    protected abstract java.net.InetSocketAddress address(PeerId id);

    protected RecordingReceiver start(PeerId id) throws Exception {
        Transport t = create(id);
        RecordingReceiver r = new RecordingReceiver();
        t.start(id, r);
        running.put(id, t);
        return r;
    }

    protected Transport transport(PeerId id) {
        return running.get(id);
    }

    protected void stop(PeerId id) {
        Transport t = running.remove(id);
        if (t != null) {
            t.close();
        }
    }

    @AfterEach
    void closeAll() {
        for (PeerId id : new ArrayList<>(running.keySet())) {
            stop(id);
        }
    }

    @Test
    void fifoPerPeerWithManyMessagesBothWays() throws Exception {
        prepareCluster(2);
        RecordingReceiver r1 = start(ONE);
        RecordingReceiver r2 = start(TWO);
        int n = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = pool.submit(() -> sendRange(ONE, TWO, 1, n));
            Future<?> b = pool.submit(() -> sendRange(TWO, ONE, 2, n));
            a.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            b.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            pool.shutdownNow();
        }
        expectSequence(r2, ONE, 1, 0, n);
        expectSequence(r1, TWO, 2, 0, n);
    }

    @Test
    void eachPeerKeepsItsOwnOrderAmongSeveral() throws Exception {
        prepareCluster(3);
        start(ONE);
        RecordingReceiver r2 = start(TWO);
        RecordingReceiver r3 = start(THREE);
        int n = 1_000;
        for (int i = 0; i < n; i++) {
            transport(ONE).send(TWO, new Ping(1, i));
            transport(ONE).send(THREE, new Ping(1, i));
        }
        expectSequence(r2, ONE, 1, 0, n);
        expectSequence(r3, ONE, 1, 0, n);
    }

    @Test
    void concurrentSendsFromSeveralThreadsKeepEachThreadsOrder() throws Exception {
        prepareCluster(2);
        start(ONE);
        RecordingReceiver r2 = start(TWO);
        int threads = 4;
        int perThread = 1_000;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int epoch = 10 + t;
                done.add(pool.submit(() -> {
                    go.await();
                    sendRange(ONE, TWO, epoch, perThread);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long[] next = new long[threads];
        for (int i = 0; i < threads * perThread; i++) {
            Ping p = ping(r2.take(DEADLINE), ONE);
            int t = (int) p.epoch() - 10;
            assertEquals(next[t], p.round(), "thread " + t + " out of order");
            next[t]++;
        }
        assertTrue(r2.drain().isEmpty());
    }

    @Test
    void disconnectIsReportedWhenThePeerCloses() throws Exception {
        prepareCluster(2);
        RecordingReceiver r1 = start(ONE);
        RecordingReceiver r2 = start(TWO);
        transport(ONE).send(TWO, new Ping(1, 0));
        expectSequence(r2, ONE, 1, 0, 1);
        transport(TWO).send(ONE, new Ping(2, 0));
        expectSequence(r1, TWO, 2, 0, 1);
        stop(TWO);
        r1.awaitDisconnect(TWO, DEADLINE);
    }

    @Test
    void reconnectsAfterThePeerRestarts() throws Exception {
        prepareCluster(2);
        RecordingReceiver r1 = start(ONE);
        start(TWO);
        transport(TWO).send(ONE, new Ping(2, 0));
        expectSequence(r1, TWO, 2, 0, 1);
        stop(TWO);
        r1.awaitDisconnect(TWO, DEADLINE);
        RecordingReceiver r2 = start(TWO);
        // The first sends may race the restart and be dropped (with a disconnect); keep
        // probing until one gets through, then the link must be ordinary FIFO again.
        long round = probeUntilDelivered(ONE, TWO, r2);
        for (long i = round + 1; i <= round + 100; i++) {
            transport(ONE).send(TWO, new Ping(1, i));
        }
        expectSequence(r2, ONE, 1, round + 1, 100);
        transport(TWO).send(ONE, new Ping(2, 1));
        Event e = r1.take(DEADLINE);
        while (e.isDisconnect()) {
            e = r1.take(DEADLINE);
        }
        assertEquals(new Ping(2, 1), e.message());
    }

    @Test
    void messagesToADeadPeerAreDroppedWithADisconnect() throws Exception {
        prepareCluster(3);
        RecordingReceiver r2 = start(TWO);
        // Peer 1 has the lower sid and peer 3 the higher: both ways of dialing must fail loudly.
        for (int i = 0; i < 10; i++) {
            transport(TWO).send(ONE, new Ping(2, i));
            transport(TWO).send(THREE, new Ping(2, i));
        }
        Set<PeerId> disconnected = new HashSet<>();
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (disconnected.size() < 2) {
            Event e = r2.poll(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            if (e == null) {
                fail("disconnects within " + DEADLINE + ": only " + disconnected);
            }
            assertTrue(e.isDisconnect(), "unexpected " + e);
            disconnected.add(e.peer());
        }
        assertEquals(Set.of(ONE, THREE), disconnected);
    }

    @Test
    void aPeerThatStartsLaterGetsWhatIsSentAfterItIsUp() throws Exception {
        prepareCluster(2);
        RecordingReceiver r1 = start(ONE);
        RecordingReceiver r2 = start(TWO);
        long round = probeUntilDelivered(TWO, ONE, r1);
        transport(ONE).send(TWO, new Ping(1, round));
        expectSequence(r2, ONE, 1, round, 1);
    }

    @Test
    void aRemovedPeerIsCutOffAtBothEndsAndTalksAgainOnceAddedBack() throws Exception {
        prepareCluster(3);
        RecordingReceiver r1 = start(ONE);
        RecordingReceiver r2 = start(TWO);
        RecordingReceiver r3 = start(THREE);
        probeUntilDelivered(TWO, ONE, r1);
        probeUntilDelivered(ONE, TWO, r2);
        transport(ONE).updatePeers(Map.of(THREE, address(THREE)));
        r1.awaitDisconnect(TWO, DEADLINE);
        r2.awaitDisconnect(ONE, DEADLINE);
        for (int i = 0; i < 5; i++) {
            transport(ONE).send(TWO, new Ping(1, i)); // dropped, not an error: two just left
            transport(TWO).send(ONE, new Ping(2, i)); // refused at one's end
        }
        r2.awaitDisconnect(ONE, DEADLINE); // two hears its messages were lost
        long round = probeUntilDelivered(THREE, ONE, r1); // one's other links are untouched
        transport(ONE).send(THREE, new Ping(1, round));
        expectSequence(r3, ONE, 1, round, 1);
        assertTrue(r1.drain().isEmpty(), "one heard more of two after its single disconnect");
        assertTrue(r2.drain().stream().allMatch(Event::isDisconnect), "two got a message");

        transport(ONE).updatePeers(Map.of(TWO, address(TWO), THREE, address(THREE)));
        probeUntilDelivered(TWO, ONE, r1);
        probeUntilDelivered(ONE, TWO, r2);
    }

    /**
     * A node's membership may name a peer before updatePeers gives it to the transport (its
     * host name is resolved off the protocol thread): a send to it is dropped, not an error,
     * and the other links go on.
     */
    @Test
    void aSendToANodeThatIsNoPeerYetIsDropped() throws Exception {
        prepareCluster(2);
        RecordingReceiver r2 = start(TWO);
        start(ONE);
        for (int i = 0; i < 5; i++) {
            transport(ONE).send(PeerId.of(9), new Ping(1, i));
        }
        probeUntilDelivered(ONE, TWO, r2);
    }

    /** Sends rounds until one arrives at {@code receiver}; returns the round that arrived. */
    protected long probeUntilDelivered(PeerId from, PeerId to, RecordingReceiver receiver)
            throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        long round = 1_000;
        while (System.nanoTime() < end) {
            round++;
            transport(from).send(to, new Ping(from.value(), round));
            Event e = receiver.poll(Duration.ofMillis(200));
            while (e != null && e.isDisconnect()) {
                e = receiver.poll(Duration.ofMillis(50));
            }
            if (e != null) {
                Ping p = ping(e, from);
                // Earlier probes may trail in; the link is FIFO, so skip up to the newest.
                long last = p.round();
                while (last < round) {
                    Event next = receiver.take(DEADLINE);
                    last = ping(next, from).round();
                }
                return last;
            }
        }
        fail("no probe from " + from + " reached " + to + " within " + DEADLINE);
        return -1;
    }

    private void sendRange(PeerId from, PeerId to, long epoch, int n) {
        Transport t = transport(from);
        for (int i = 0; i < n; i++) {
            t.send(to, new Ping(epoch, i));
        }
    }

    /** The next n events must be pings from {@code from} with rounds first..first+n-1. */
    protected static void expectSequence(RecordingReceiver r, PeerId from, long epoch,
            long first, int n) throws InterruptedException {
        for (long i = first; i < first + n; i++) {
            Ping p = ping(r.take(DEADLINE), from);
            assertEquals(new Ping(epoch, i), p);
        }
    }

    private static Ping ping(Event e, PeerId from) {
        assertNotNull(e);
        assertFalse(e.isDisconnect(), "unexpected disconnect of " + e.peer());
        assertEquals(from, e.peer());
        Message m = e.message();
        assertTrue(m instanceof Ping, "unexpected " + m);
        return (Ping) m;
    }
}
