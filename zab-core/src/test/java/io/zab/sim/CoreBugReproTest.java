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
}
