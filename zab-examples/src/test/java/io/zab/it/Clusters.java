package io.zab.it;

import io.zab.ZabNode;
import io.zab.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the in-JVM cluster tests share on top of the test kit ({@link TestCluster}): real nodes
 * with Netty, Fast Leader Election and file storage under the test's directory, each replica a
 * {@link HistoryMachine}, and one generous deadline for every wait.
 */
final class Clusters {
    static final String CLUSTER_ID = "zab-it";
    /** Generous for a loaded 2-core machine: the waits end as soon as the state is reached. */
    static final Duration DEADLINE = Duration.ofSeconds(180);

    private Clusters() {
    }

    /** Three voters over Netty with their data directories under {@code root}. */
    static TestCluster.Builder<HistoryMachine> netty(Path root) {
        return TestCluster.builder(HistoryMachine::new).network(TestCluster.Network.NETTY)
                .dataRoot(root).configure(b -> b.clusterId(CLUSTER_ID));
    }

    /**
     * Waits for {@code condition}, failing at once when a running node halted on a fault
     * (storage, broken invariant, bad delivery) rather than at the deadline.
     */
    static void await(TestCluster<?> c, String what, BooleanSupplier condition)
            throws InterruptedException, TimeoutException {
        c.await(what, DEADLINE, () -> {
            c.assertNoFailures();
            return condition.getAsBoolean();
        });
    }

    /**
     * Waits until the replicas converged and returns their common record (every delivered
     * txn with its zxid, see {@link HistoryMachine}).
     */
    static byte[] converged(TestCluster<HistoryMachine> c)
            throws InterruptedException, TimeoutException {
        c.awaitConverged(DEADLINE);
        return c.stateMachine(c.running().get(0)).bytes();
    }

    /** A running node, round robin, for load threads; null while none runs. */
    static Supplier<ZabNode> anyRunning(TestCluster<?> c) {
        AtomicInteger next = new AtomicInteger();
        return () -> {
            for (int tries = 0; tries < c.members().size(); tries++) {
                List<Integer> up = c.running();
                if (up.isEmpty()) {
                    return null;
                }
                try {
                    return c.node(up.get(Math.floorMod(next.getAndIncrement(), up.size())));
                } catch (IllegalStateException killedMeanwhile) {
                    // Killed between the two calls: pick again.
                }
            }
            return null;
        };
    }
}
