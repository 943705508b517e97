package io.zab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabNode;
import io.zab.Zxid;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Spares and membership changes in the kit, on the loopback network with zab-core's own
 * election (zab-examples runs the same kit over Netty with Fast Leader Election): the kit's
 * members, running members, leader and convergence follow the committed membership, and a
 * spare can be killed, restarted and wiped before and after it is added.
 */
class TestClusterMembershipTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static TestCluster<Ledger> withSpares(int voters, int spares) throws Exception {
        return TestCluster.builder(Ledger::new).voters(voters).spares(spares)
                .network(TestCluster.Network.LOOPBACK).start();
    }

    @Test
    void sparesAreNoMembersUntilAddedAndTheKitFollowsTheMembership() throws Exception {
        try (TestCluster<Ledger> c = withSpares(3, 2)) {
            int leader = c.awaitLeader(WAIT);
            assertEquals(List.of(1, 2, 3), c.members());
            assertEquals(List.of(4, 5), c.spares());
            assertEquals(List.of(1, 2, 3, 4, 5), c.ids());
            assertEquals(List.of(1, 2, 3), c.running());
            assertTrue(c.isRunning(4) && c.isRunning(5));
            assertEquals(Zxid.ZERO, c.membership().version());
            assertFalse(c.node(4).membership().contains(PeerId.of(4)), "a spare is no member");
            write(c.node(leader), "a", 10);
            c.awaitConverged(WAIT);
            assertEquals(List.of(), c.inspect(4, Ledger::entries), "a spare is not synced");

            int follower = leader == 1 ? 2 : 1;
            Membership five = c.node(follower).changeMembership(
                    c.membershipOf(List.of(1, 2, 3, 4, 5), List.of()), WAIT)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(five.version(), c.membership().version());
            assertEquals(List.of(1, 2, 3, 4, 5), c.members());
            assertEquals(List.of(1, 2, 3, 4, 5), c.voters());
            write(c.node(5), "b", 10);
            c.awaitLeader(WAIT);
            c.awaitConverged(WAIT);
            assertEquals(20, c.inspect(4, Ledger::entries).size());
            assertTrue(c.describe().contains("4 voter: "), c.describe());
        }
    }

    /**
     * Remove the leader and another: the kit's leader, members and convergence leave them out
     * though they still run, and they neither lead nor follow.
     */
    @Test
    void removedMembersAreLeftOutThoughTheyRun() throws Exception {
        try (TestCluster<Ledger> c = withSpares(3, 2)) {
            int leader = c.awaitLeader(WAIT);
            c.node(leader).changeMembership(c.membershipOf(List.of(1, 2, 3, 4, 5), List.of()),
                    WAIT).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            leader = c.awaitLeader(WAIT);
            int other = leader == 1 ? 2 : 1;
            List<Integer> stay = new ArrayList<>(List.of(1, 2, 3, 4, 5));
            stay.remove(Integer.valueOf(leader));
            stay.remove(Integer.valueOf(other));
            c.node(leader).changeMembership(c.membershipOf(stay, List.of()), WAIT)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(stay, c.members());
            assertEquals(stay, c.running());
            int next = c.awaitLeader(WAIT);
            assertTrue(stay.contains(next), "a remaining member leads: " + c.describe());
            write(c.node(stay.get(0)), "after", 10);
            c.awaitConverged(WAIT);
            for (int removed : List.of(leader, other)) {
                int r = removed;
                c.await("removed " + r + " out of the ensemble", WAIT, () -> {
                    NodeStatus s = c.node(r).status();
                    return s.role() != Role.LEADING && !s.broadcasting();
                });
                assertTrue(c.describe().contains(r + " no member"), c.describe());
            }
        }
    }

    /**
     * A spare killed, restarted and wiped before it is added is a spare again. Once it has
     * replaced a follower, a restart starts it from its saved membership though its config
     * still says JOIN and lists the builder's voters, and a wipe starts it blank as EXISTING
     * with the membership of that moment.
     */
    @Test
    void aSpareRestartsAndIsWipedBeforeAndAfterItIsAdded() throws Exception {
        try (TestCluster<Ledger> c = withSpares(3, 1)) {
            int leader = c.awaitLeader(WAIT);
            c.kill(4);
            c.restart(4);
            c.wipe(4);
            assertTrue(c.describe().contains("4 spare (wiped, joined as JOIN)"), c.describe());
            write(c.node(leader), "a", 5);
            int replaced = leader == 1 ? 2 : 1;
            List<Integer> after = new ArrayList<>(List.of(1, 2, 3, 4));
            after.remove(Integer.valueOf(replaced));
            c.node(leader).changeMembership(c.membershipOf(after, List.of()), WAIT)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(after, c.members());
            c.awaitConverged(WAIT);

            ZabNode restarted = c.restart(4);
            assertTrue(restarted.membership().isVoter(PeerId.of(4)),
                    "from its data directory: " + restarted.membership());
            write(c.node(c.awaitLeader(WAIT)), "b", 5);
            c.awaitConverged(WAIT);
            assertEquals(10, c.inspect(4, Ledger::entries).size());

            c.wipe(4);
            assertTrue(c.describe().contains("4 voter (wiped, joined as EXISTING)"),
                    c.describe());
            write(c.node(c.awaitLeader(WAIT)), "c", 5);
            c.awaitConverged(WAIT);
            assertEquals(15, c.inspect(4, Ledger::entries).size());
            c.restart(4);
            c.awaitConverged(WAIT);
            c.assertNoFailures();
        }
    }

    private static List<Zxid> write(ZabNode via, String prefix, int count) throws Exception {
        List<CompletableFuture<io.zab.SubmitResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(via.submit(ByteBuffer.wrap((prefix + i).getBytes(
                    StandardCharsets.UTF_8)), WAIT));
        }
        List<Zxid> out = new ArrayList<>();
        for (CompletableFuture<io.zab.SubmitResult> f : futures) {
            out.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS).zxid());
        }
        return out;
    }
}
