package io.zab.sim;

import static io.zab.sim.Scenarios.T;
import static io.zab.sim.Scenarios.established;
import static io.zab.sim.Scenarios.followers;
import static io.zab.sim.Scenarios.leaderId;
import static io.zab.sim.Scenarios.receives;
import static io.zab.sim.Scenarios.sendsTo;
import static io.zab.sim.Scenarios.settle;
import static io.zab.sim.Scenarios.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Role;
import io.zab.protocol.Action;
import io.zab.protocol.Action.RoleChanged;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Event;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.UpToDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * S03, sync-window interleavings (ZOOKEEPER-4394/4685, spec issues 1-3), explored exhaustively.
 *
 * <p>A follower F restarts behind an established leader and gets DIFF (or SNAP), then
 * NEWLEADER. From the moment it handles NEWLEADER until it handles UPTODATE (the window), the
 * leader commits {@code writes} txns with the other follower, so F's link carries PROPOSALs and
 * COMMITs during the window. In LOG mode what F missed is older than the leader's history in
 * memory: DIFF and NEWLEADER come at once and the missed txns (the first read from the leader's
 * log) are themselves the window's PROPOSALs. Everything that can be reordered is held in
 * three FIFO queues:
 * <ul>
 *   <li>inbound: PROPOSAL, COMMIT, UPTODATE from the leader, in the order the leader sent them
 *       (the transport is FIFO, so this order is fixed);</li>
 *   <li>disk: F's {@code Persisted} reports (the epoch save of NEWLEADER, each logged txn);</li>
 *   <li>outbound: F's ACK of NEWLEADER and its ACKs, in the order F sent them.</li>
 * </ul>
 * A schedule says which queue releases its head at each step; a depth-first search over
 * re-executions of the same seed visits every schedule, i.e. every interleaving a FIFO
 * transport and an asynchronous disk allow (bounded by {@code writes}). PINGs pass freely.
 *
 * <p>Each schedule must keep F in the window without stepping down (no "COMMIT for an unknown
 * zxid", no out-of-place abort), F must never send an ACK before its ACK of NEWLEADER, must end
 * in broadcast under the same leader and epoch, and the cluster must then settle (liveness,
 * convergence, every invariant checked on every step).
 *
 * <p>Release labels in failure messages: P/C/U PROPOSAL, COMMIT, UPTODATE arriving at F; D
 * a Persisted report at F; N and A its ACK of NEWLEADER and its ACKs reaching the leader.
 * {@code -Dsim.s03Writes=N} (default 2) widens the window; {@code -Dsim.s03MaxSchedules}
 * bounds the search (default 20000), which must finish within it.
 */
class SyncWindowScenarioTest {
    private static final int WRITES = Integer.getInteger("sim.s03Writes", 2);
    private static final int MAX_SCHEDULES = Integer.getInteger("sim.s03MaxSchedules", 20_000);
    private static final int MAX_STEPS = 500;

    /** One path through the choice tree: a given prefix, then the first option each time. */
    private static final class Schedule {
        private final List<Integer> prefix;
        private final List<Integer> choices = new ArrayList<>();
        private final List<Integer> widths = new ArrayList<>();

        Schedule(List<Integer> prefix) {
            this.prefix = prefix;
        }

        int choose(int width) {
            int i = choices.size();
            int pick = i < prefix.size() ? prefix.get(i) : 0;
            if (pick >= width) {
                throw new AssertionError("a re-execution diverged at choice " + i + " (" + pick
                        + " of " + width + "): the simulation is not deterministic");
            }
            choices.add(pick);
            widths.add(width);
            return pick;
        }

        /** The next schedule in depth-first order, or null once all were visited. */
        List<Integer> next() {
            for (int i = choices.size() - 1; i >= 0; i--) {
                if (choices.get(i) + 1 < widths.get(i)) {
                    List<Integer> n = new ArrayList<>(choices.subList(0, i));
                    n.add(choices.get(i) + 1);
                    return n;
                }
            }
            return null;
        }
    }

    private record Item(Intercepted.Held held, String label, boolean upToDate) {
    }

    /** The hooks on F that hold its window traffic, and the queues they fill. */
    private static final class Window {
        final SimCluster c;
        final int leader;
        final int f;
        final ArrayDeque<Item> inbound = new ArrayDeque<>();
        final ArrayDeque<Item> disk = new ArrayDeque<>();
        final ArrayDeque<Item> outbound = new ArrayDeque<>();
        final List<String> released = new ArrayList<>();
        final List<String> sentToLeader = new ArrayList<>();
        final List<Hook<?>> hooks = new ArrayList<>();
        boolean opened;
        boolean open;
        boolean releasing;
        boolean steppedDown;
        int proposals;
        int commits;
        int acks;

        Window(SimCluster c, int leader, int f) {
            this.c = c;
            this.leader = leader;
            this.f = f;
            hooks.add(c.onEvent(f, e -> !opened && receives(e, NewLeader.class), x -> {
                opened = true;
                open = true;
            }));
            hooks.add(c.onEvent(f, e -> open && !releasing && inWindow(e), this::holdEvent));
            hooks.add(c.onAction(f, a -> open && (sendsTo(a, AckNewLeader.class, leader)
                    || sendsTo(a, Ack.class, leader)), this::holdSend));
            hooks.add(c.onAction(f, a -> open && a instanceof RoleChanged rc
                    && rc.role() == Role.LOOKING, x -> steppedDown = true));
        }

        private boolean inWindow(Event e) {
            if (e instanceof Event.Persisted) {
                return true;
            }
            return e instanceof Event.Received r && r.from().value() == leader
                    && (r.message() instanceof Proposal || r.message() instanceof Commit
                            || r.message() instanceof UpToDate);
        }

        private void holdEvent(Intercepted<Event> x) {
            Event e = x.item();
            if (e instanceof Event.Persisted p) {
                disk.add(new Item(x.hold(), "D" + p.seq(), false));
                return;
            }
            Object m = ((Event.Received) e).message();
            String label = m instanceof Proposal ? "P" + ++proposals
                    : m instanceof Commit ? "C" + ++commits : "U";
            inbound.add(new Item(x.hold(), label, m instanceof UpToDate));
        }

        private void holdSend(Intercepted<Action> x) {
            boolean anl = ((Send) x.item()).message() instanceof AckNewLeader;
            String label = anl ? "N" : "A" + ++acks;
            sentToLeader.add(label);
            outbound.add(new Item(x.hold(), label, false));
        }

        List<ArrayDeque<Item>> options() {
            List<ArrayDeque<Item>> out = new ArrayList<>();
            for (ArrayDeque<Item> q : List.of(inbound, disk, outbound)) {
                if (!q.isEmpty()) {
                    out.add(q);
                }
            }
            return out;
        }

        void release(Item item) {
            released.add(item.label());
            if (item.upToDate()) {
                open = false;
            }
            releasing = true;
            try {
                item.held().release();
            } finally {
                releasing = false;
            }
        }

        /** After UPTODATE: the rest goes in FIFO order and nothing more is held. */
        void close() {
            open = false;
            for (ArrayDeque<Item> q : List.of(inbound, disk, outbound)) {
                while (!q.isEmpty()) {
                    release(q.poll());
                }
            }
            for (Hook<?> h : hooks) {
                h.remove();
            }
        }
    }

    /** Runs the scenario once under {@code schedule}; returns the order of the releases. */
    private static String runOne(long seed, String mode, int writes, Schedule schedule) {
        SimOptions o = SimOptions.defaults().slowMessageProbability(0);
        int missed = 4;
        if (mode.equals("SNAP")) {
            o.historyMaxTxns(2);
        } else if (mode.equals("LOG")) {
            // F misses two txns, only the last in memory: NEWLEADER at once, then both in the
            // window, the first read from the log.
            o.historyMaxTxns(1);
            missed = 2;
        }
        SimCluster c = established(seed, o);
        int leader = leaderId(c);
        int f = followers(c, leader).get(1);
        if (mode.equals("SNAP")) {
            c.node(leader).snapshotEveryTxns(1); // its log does not reach back to F either
        }
        List<Action> reads = new ArrayList<>();
        c.onAction(leader, a -> a instanceof Action.ReadLog, x -> reads.add(x.item()));
        c.crash(f);
        for (int i = 0; i < missed; i++) {
            write(c, leader);
        }
        Window w = new Window(c, leader, f);
        c.restart(f);
        assertTrue(c.runUntil(() -> w.opened, T), "F reached NEWLEADER: " + c.states());
        long epoch = c.node(leader).core().epoch();
        for (int i = 0; i < writes; i++) {
            SimRequest r = c.submit(leader);
            assertTrue(c.runUntil(r::succeeded, T), "committed without F: " + r);
        }
        c.runFor(10);
        int idle = 0;
        for (int step = 0; w.open; step++) {
            assertTrue(step < MAX_STEPS && idle < 100, "the window never closed; released "
                    + w.released + "\n" + c.states());
            List<ArrayDeque<Item>> options = w.options();
            if (options.isEmpty()) {
                idle++;
                c.runFor(5);
                continue;
            }
            w.release(options.get(schedule.choose(options.size())).poll());
            c.runFor(6);
        }
        w.close();
        String order = String.join(" ", w.released);
        assertFalse(w.steppedDown, "F stepped down in the window; order " + order);
        assertEquals("N", w.sentToLeader.get(0), "F acked a proposal before NEWLEADER: "
                + w.sentToLeader);
        assertTrue(c.runUntil(() -> c.node(f).core().isBroadcasting(), T), order);
        SimNode fn = c.node(f);
        assertEquals(Role.FOLLOWING, fn.core().role(), order);
        assertEquals(epoch, fn.core().epoch(), "F joined the same epoch; order " + order);
        assertEquals(leader, leaderId(c), order);
        assertTrue(w.proposals >= Math.max(writes, 1) && w.commits >= 1,
                "the window carried the writes: " + order);
        assertEquals(mode.equals("LOG"), !reads.isEmpty(), "read the log: " + reads);
        settle(c);
        return order;
    }

    @ParameterizedTest(name = "seed {0}, {1}")
    @CsvSource({"1, DIFF", "3, SNAP", "2, LOG"})
    void s03EveryInterleavingOfTheSyncWindow(long seed, String mode) {
        List<Integer> prefix = List.of();
        Set<String> orders = new LinkedHashSet<>();
        int schedules = 0;
        while (prefix != null) {
            assertTrue(schedules < MAX_SCHEDULES, "more than " + MAX_SCHEDULES
                    + " schedules; raise -Dsim.s03MaxSchedules");
            Schedule s = new Schedule(prefix);
            try {
                // LOG: the missed txns are in the window already; writes there multiply it.
                orders.add(runOne(seed, mode, mode.equals("LOG") ? 0 : WRITES, s));
            } catch (AssertionError e) {
                throw new AssertionError("S03 seed " + seed + " " + mode + ", schedule "
                        + s.choices + ": " + e.getMessage(), e);
            }
            schedules++;
            prefix = s.next();
        }
        List<String> all = new ArrayList<>(orders);
        System.out.printf("S03 seed %d %s: %d schedules, %d distinct release orders, from [%s]"
                + " to [%s]%n", seed, mode, schedules, orders.size(), all.get(0),
                all.get(all.size() - 1));
        assertEquals(schedules, orders.size(), "every schedule is a different interleaving");
        assertTrue(schedules > 10, "the window offered choices: " + orders);
    }
}
