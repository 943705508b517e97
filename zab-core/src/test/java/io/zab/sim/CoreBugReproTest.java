package io.zab.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.protocol.Action;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Event;
import io.zab.protocol.message.UpToDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Deterministic scripts of core bugs the random simulation found, kept as regression tests.
 */
class CoreBugReproTest {
    private static SimCluster established(long seed, SimOptions options) {
        SimCluster c = new SimCluster(seed, options);
        assertTrue(c.runUntil(() -> c.leader().isPresent() && c.nodes().stream()
                .allMatch(n -> n.isUp() && n.core().isBroadcasting()), 10_000), c.states());
        return c;
    }

    /**
     * Random seeds 681, 882, 1000: the followers' ACKs reach the leader before its own fsync
     * completes; it commits (the followers are a quorum) but may deliver only what is durable
     * locally, and when its Persisted came the commit point did not move, so it delivered
     * nothing until the next commit.
     */
    @Test
    void aLeaderWhoseOwnFsyncIsLastStillDelivers() {
        SimCluster c = established(23, SimOptions.defaults());
        int leader = c.leader().orElseThrow().id();
        List<Intercepted.Held> held = new ArrayList<>();
        Hook<Event> hook = c.onEvent(leader, e -> e instanceof Event.Persisted,
                x -> held.add(x.hold()));
        SimRequest w = c.submit(leader == 1 ? 2 : 1);
        assertTrue(c.runUntil(w::succeeded, 2_000), "the follower's write succeeds: " + w);
        assertTrue(c.node(leader).stateMachine().count() == 0, "the leader waits for its disk");
        hook.remove();
        held.forEach(Intercepted.Held::release);
        assertTrue(c.runUntil(c::converged, 2_000), c.convergenceProblem());
    }

    /**
     * Random seeds with an observer (e.g. 28): a write submitted to an observer is forwarded
     * to the leader and committed, but the observer learns it by INFORM, which names no request,
     * so the write never completes while the observer keeps its leader.
     */
    @Test
    void aWriteSubmittedToAnObserverCompletes() {
        SimCluster c = established(21, SimOptions.defaults().observers(1));
        SimRequest w = c.submit(4);
        assertTrue(c.runUntil(w::isDone, 5_000), w + " still pending; the chain has "
                + c.checkers().chainLength() + " txns, observer at "
                + c.node(4).stateMachine() + "\n" + c.trace().dump());
    }

    /**
     * Random seeds 462, 213: a follower gets SNAP (installs the snapshot, acks NEWLEADER) but
     * the connection breaks before UPTODATE, so the state machine is never restored while the
     * history now starts at the snapshot. The next sync (here an empty DIFF) makes it deliver
     * from its old position, below the history's base, and the core throws.
     */
    @Test
    void aSnapSyncInterruptedBeforeUpToDateLeavesAUsableNode() {
        SimCluster c = established(22, SimOptions.defaults().historyMaxTxns(2));
        int leader = c.leader().orElseThrow().id();
        int follower = leader == 1 ? 2 : 1;
        c.crash(follower);
        List<SimRequest> writes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            writes.add(c.submit(leader));
        }
        assertTrue(c.runUntil(() -> writes.stream().allMatch(SimRequest::succeeded), 5_000));
        List<Hook<Action>> hooks = new ArrayList<>();
        hooks.add(c.onAction(leader, a -> a instanceof Send s && s.to().value() == follower
                && s.message() instanceof UpToDate, x -> {
                    x.drop();
                    c.breakConnection(leader, follower);
                    hooks.get(0).remove();
                }));
        c.restart(follower);
        assertTrue(c.runUntil(() -> hooks.get(0).isRemoved(), 5_000), "UPTODATE was cut");
        assertTrue(c.runUntil(c::converged, 10_000), c.convergenceProblem());
    }

    /**
     * RandomRun.runLogSync seed 6933 (200 s; zxidCounterMax 10, clients at tens of writes a
     * second, before that mode kept counters of at least 300): a leader that assigns the last
     * counter of its epoch and is asked for one more txn steps down at once, so its in-flight
     * proposals complete OUTCOME_UNKNOWN (the next leader commits them, but for no one). When
     * at least a counter space of requests waits at every new leader, each epoch ends that way
     * and no write is ever acknowledged: a livelock (here: 333 writes a second, the chain
     * grows by 10 txns an epoch, 9 writes acknowledged in all, none in the last 5 s). Fixed: the
     * leader admits nothing more and steps down once the epoch's proposals have committed. The
     * real 32-bit counter runs out after about 4 hours at 300,000 writes a second, where the
     * old rule cost every write in flight its outcome.
     */
    @Test
    void writesAreAcknowledgedWhileTheZxidCounterKeepsRunningOut() {
        SimCluster c = established(24, SimOptions.defaults().zxidCounterMax(10)
                .requestWaitTicks(30));
        java.util.SplittableRandom r = new java.util.SplittableRandom(24);
        long lateFrom = c.now() + 5_000 * SimClock.MILLIS;
        List<SimRequest> writes = Scenarios.writeFor(c, r, 10_000, 3);
        c.runFor(3_000);
        long late = writes.stream().filter(w -> w.succeeded() && w.invokedAt() > lateFrom)
                .count();
        assertTrue(late > 0, "no write acknowledged in the last 5 s of " + writes.size()
                + "; chain " + c.checkers().chainLength() + " txns\n" + c.states());
    }
}
