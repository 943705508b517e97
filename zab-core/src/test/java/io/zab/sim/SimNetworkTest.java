package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.message.Message;
import io.zab.Zxid;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Ping;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The network model keeps the Transport contract: FIFO per direction, loss only with a break. */
class SimNetworkTest {
    /** Records what the nodes would see: "r a>b n" for a message, "d at<peer" for a notice. */
    private static final class Recorder implements SimNetwork.Endpoint {
        final boolean[] up = {true, true, true, true};
        final int[] incarnation = new int[4];
        final List<String> seen = new ArrayList<>();
        final List<Long> received = new ArrayList<>();

        @Override
        public boolean isUp(int node) {
            return up[node];
        }

        @Override
        public int incarnation(int node) {
            return incarnation[node];
        }

        @Override
        public void receive(int from, int to, Message message) {
            long round = message instanceof Ping p ? p.round()
                    : ((Commit) message).zxid().counter();
            received.add(round);
            seen.add("r " + from + ">" + to + " " + round);
        }

        @Override
        public void disconnected(int at, int peer) {
            seen.add("d " + at + "<" + peer);
        }
    }

    private final SimClock clock = new SimClock();
    private final Recorder nodes = new Recorder();

    private SimNetwork network(long seed, double slow) {
        return new SimNetwork(clock, new SplittableRandom(seed), 3, nodes, new SimTrace(10),
                slow);
    }

    private void runAll() {
        while (clock.stepUntil(Long.MAX_VALUE)) {
            assertTrue(clock.steps() < 1_000_000, "network must go quiet");
        }
    }

    private void runFor(long micros) {
        long deadline = clock.now() + micros;
        while (clock.stepUntil(deadline)) {
            assertTrue(clock.steps() < 1_000_000, "network must go quiet");
        }
        clock.advanceTo(deadline);
    }

    @Test
    void messagesArriveInOrderEvenWithSlowOnes() {
        SimNetwork net = network(7, 0.3);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 2_000; i++) {
            net.send(1, 2, data(i));
            runFor(r.nextLong(500));
        }
        runAll();
        assertEquals(2_000, nodes.received.size());
        for (int i = 0; i < 2_000; i++) {
            assertEquals(i, nodes.received.get(i), "message " + i + " in order");
        }
    }

    @Test
    void breakLosesInFlightMessagesAndTellsBothEndsBeforeAnyNewMessage() {
        SimNetwork net = network(3, 0);
        for (int i = 0; i < 5; i++) {
            net.send(1, 2, data(i));
        }
        net.breakConnection(1, 2);
        net.send(1, 2, data(100));
        runAll();
        assertEquals(List.of("d 1<2", "d 2<1", "r 1>2 100"), nodes.seen,
                "old messages lost, notices first, then the new connection's message");
        assertTrue(net.isConnected(1, 2));
    }

    @Test
    void sendingToADownNodeDropsAndNotifiesOnce() {
        SimNetwork net = network(4, 0);
        nodes.up[2] = false;
        for (int i = 0; i < 10; i++) {
            net.send(1, 2, data(i));
        }
        runAll();
        assertEquals(List.of("d 1<2"), nodes.seen, "one coalesced notice, nothing delivered");
        assertFalse(net.isConnected(1, 2));
        assertEquals(10, net.lost());
    }

    @Test
    void aPendingUnreachableNoticeIsDeliveredBeforeANewConnectionCarriesAnything() {
        SimNetwork net = network(5, 0);
        net.setBlocked(1, 2, true);
        net.send(1, 2, data(1));
        net.setBlocked(1, 2, false);
        net.send(2, 1, data(2));
        runAll();
        assertEquals(List.of("d 1<2", "r 2>1 2"), nodes.seen);
    }

    @Test
    void oneWayCutStallsThenBreaksLikeATcpTimeout() {
        SimNetwork net = network(6, 0);
        net.send(1, 2, data(0));
        runAll();
        net.setBlocked(1, 2, true);
        net.send(1, 2, data(1));
        net.send(2, 1, data(2));
        runFor(100_000);
        assertEquals(List.of("r 1>2 0", "r 2>1 2"), nodes.seen, "1>2 stalls, 2>1 flows");
        assertEquals(1, net.inFlight(1, 2));
        runFor(600_000);
        assertFalse(net.isConnected(1, 2), "broken within 600 ms");
        assertEquals(List.of("r 1>2 0", "r 2>1 2", "d 1<2", "d 2<1"), nodes.seen);
    }

    @Test
    void oneWayCutHealedInTimeDeliversTheStalledMessagesInOrder() {
        SimNetwork net = network(8, 0);
        net.send(1, 2, data(0));
        runAll();
        net.setBlocked(1, 2, true);
        for (int i = 1; i <= 3; i++) {
            net.send(1, 2, data(i));
        }
        runFor(150_000);
        net.setBlocked(1, 2, false);
        runAll();
        assertEquals(List.of(0L, 1L, 2L, 3L), nodes.received);
        assertTrue(net.isConnected(1, 2));
    }

    @Test
    void symmetricPartitionBreaksAtOnceAndBridgeKeepsTheMiddle() {
        SimNetwork net = network(9, 0);
        net.send(1, 2, data(0));
        net.send(1, 3, data(0));
        net.send(2, 3, data(0));
        runAll();
        net.bridge(2, Set.of(1), Set.of(3));
        assertTrue(net.isConnected(1, 2));
        assertTrue(net.isConnected(2, 3));
        assertFalse(net.isConnected(1, 3));
        net.partition(List.of(Set.of(1), Set.of(2, 3)));
        assertFalse(net.isConnected(1, 2));
        assertTrue(net.isConnected(2, 3));
        net.heal();
        net.send(1, 3, data(9));
        runAll();
        assertTrue(net.isConnected(1, 3));
    }

    @Test
    void aCrashBreaksTheNodesConnectionsAndTellsOnlyTheLiveEnds() {
        SimNetwork net = network(10, 0);
        net.send(1, 2, data(0));
        net.send(3, 2, data(0));
        nodes.up[2] = false;
        net.nodeDown(2);
        runAll();
        assertEquals(List.of("d 1<2", "d 3<2"), nodes.seen);
    }

    /** A data message numbered {@code i}: COMMITs keep their order. */
    private static Commit data(long i) {
        return new Commit(new Zxid(1, i));
    }

    /** A PING sent behind queued data goes ahead of it; the data keeps its order. */
    @Test
    void aPingOvertakesQueuedData() {
        SimNetwork net = network(5, 0);
        for (int i = 0; i < 5; i++) {
            net.send(1, 2, data(i));
        }
        net.send(1, 2, new Ping(1, 99));
        runAll();
        assertEquals(List.of(99L, 0L, 1L, 2L, 3L, 4L), nodes.received);
    }
}
