package io.zab.sim;

import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The simulated network: one TCP-like connection per unordered pair of nodes, FIFO in each
 * direction until it breaks, as the {@code Transport} contract promises, except that a PING or
 * PINGACK sent while others are queued goes ahead of them (the contract allows it, and the
 * Netty transport does it).
 * <ul>
 *   <li>A message on an open connection arrives after a random latency (0.05-2 ms, sometimes
 *       2-50 ms) and never overtakes an earlier one in the same direction (head-of-line
 *       blocking, as TCP).</li>
 *   <li>Sending on a closed connection opens it (a new incarnation) if both nodes are up and
 *       can reach each other both ways; otherwise the message is dropped and the sender is told
 *       {@code PeerDisconnected} a few ms later (at most one such notice pending per pair and
 *       direction).</li>
 *   <li>Breaking a connection drops everything in flight on it and tells both live ends at
 *       once; nothing of the old incarnation is delivered after that, and the notice reaches a
 *       node before any message of a newer connection.</li>
 *   <li>Reachability is per direction: a symmetric cut breaks connections at once; a one-way
 *       cut stalls that direction (messages stay queued) and breaks the connection a few hundred
 *       ms later, as a TCP retransmission timeout would, unless it heals first.</li>
 * </ul>
 *
 * <p>One thread (the simulation's).
 */
public final class SimNetwork {
    /** What the network needs from the cluster. */
    public interface Endpoint {
        boolean isUp(int node);

        /** Changes whenever the node crashes or restarts; stale notices are dropped by it. */
        int incarnation(int node);

        void receive(int from, int to, Message message);

        void disconnected(int at, int peer);
    }

    private record InFlight(Message message, long due) {
    }

    private static final class Direction {
        final int from;
        final int to;
        final ArrayDeque<InFlight> queue = new ArrayDeque<>();
        long lastDue;
        boolean pumpScheduled;

        Direction(int from, int to) {
            this.from = from;
            this.to = to;
        }
    }

    private static final class Connection {
        final Direction[] dirs;
        boolean up;
        int incarnation;
        boolean timeoutScheduled;

        Connection(int a, int b) {
            dirs = new Direction[] {new Direction(a, b), new Direction(b, a)};
        }
    }

    /** A pending "could not reach" notice for one ordered pair. */
    private static final class Notice {
        boolean pending;
        long gen;
    }

    private final SimClock clock;
    private final SplittableRandom random;
    private final int nodes;
    private final Endpoint endpoint;
    private final SimTrace trace;
    private final Connection[][] connections;
    private final boolean[][] blocked;
    private final Notice[][] notices;
    private double slowProbability;
    private long sent;
    private long delivered;
    private long lost;

    public SimNetwork(SimClock clock, SplittableRandom random, int nodes, Endpoint endpoint,
            SimTrace trace, double slowProbability) {
        this.clock = clock;
        this.random = random;
        this.nodes = nodes;
        this.endpoint = endpoint;
        this.trace = trace;
        this.slowProbability = slowProbability;
        this.connections = new Connection[nodes + 1][nodes + 1];
        this.blocked = new boolean[nodes + 1][nodes + 1];
        this.notices = new Notice[nodes + 1][nodes + 1];
        for (int a = 1; a <= nodes; a++) {
            for (int b = 1; b <= nodes; b++) {
                notices[a][b] = new Notice();
                if (a < b) {
                    connections[a][b] = new Connection(a, b);
                }
            }
        }
    }

    private Connection connection(int a, int b) {
        if (a == b || a < 1 || b < 1 || a > nodes || b > nodes) {
            throw new IllegalArgumentException("no connection between " + a + " and " + b);
        }
        return a < b ? connections[a][b] : connections[b][a];
    }

    private static Direction direction(Connection c, int from) {
        return c.dirs[0].from == from ? c.dirs[0] : c.dirs[1];
    }

    public void setSlowProbability(double p) {
        this.slowProbability = p;
    }

    public double slowProbability() {
        return slowProbability;
    }

    long latency() {
        if (random.nextDouble() < slowProbability) {
            return 2_000 + random.nextLong(48_000);
        }
        return 50 + random.nextLong(1_950);
    }

    public void send(int from, int to, Message message) {
        Connection c = connection(from, to);
        sent++;
        if (!c.up) {
            if (!canOpen(from, to)) {
                lost++;
                trace.add(clock.now(), from, "unreachable " + to, message, null);
                noticeLater(from, to);
                return;
            }
            open(c, from, to);
        }
        Direction d = direction(c, from);
        long due = Math.max(clock.now() + latency(), d.lastDue);
        if (overtakes(message) && !d.queue.isEmpty()) {
            // As the Netty transport's liveness lane: ahead of everything still queued.
            d.queue.addFirst(new InFlight(message, Math.min(due, d.queue.peek().due())));
            schedulePump(c, d, clock.now());
            return;
        }
        d.lastDue = due;
        d.queue.add(new InFlight(message, due));
        schedulePump(c, d, due);
    }

    /** PING and PINGACK may overtake other messages (see {@code Transport}). */
    private static boolean overtakes(Message m) {
        return m instanceof Ping || m instanceof PingAck;
    }

    private boolean canOpen(int a, int b) {
        return endpoint.isUp(a) && endpoint.isUp(b) && !blocked[a][b] && !blocked[b][a];
    }

    private void open(Connection c, int a, int b) {
        c.up = true;
        c.incarnation++;
        c.timeoutScheduled = false;
        long connected = clock.now() + 100 + random.nextLong(900);
        for (Direction d : c.dirs) {
            d.lastDue = connected;
        }
        // A node must learn of an earlier loss before anything of the new connection arrives.
        flushNotice(a, b);
        flushNotice(b, a);
        trace.add(clock.now(), a, "connect " + b + " #" + c.incarnation, null, null);
    }

    private void schedulePump(Connection c, Direction d, long notBefore) {
        if (d.pumpScheduled || d.queue.isEmpty()) {
            return;
        }
        d.pumpScheduled = true;
        int inc = c.incarnation;
        long at = Math.max(Math.max(d.queue.peek().due, notBefore), clock.now());
        clock.at(at, () -> pump(c, d, inc));
    }

    private void pump(Connection c, Direction d, int inc) {
        if (c.incarnation != inc) {
            return;
        }
        d.pumpScheduled = false;
        if (blocked[d.from][d.to] || d.queue.isEmpty()) {
            return;
        }
        InFlight f = d.queue.poll();
        delivered++;
        endpoint.receive(d.from, d.to, f.message());
        if (c.incarnation == inc) {
            schedulePump(c, d, clock.now());
        }
    }

    private void noticeLater(int at, int peer) {
        Notice n = notices[at][peer];
        if (n.pending || !endpoint.isUp(at)) {
            return;
        }
        n.pending = true;
        scheduleNotice(at, peer, n, 1_000 + random.nextLong(4_000));
    }

    private void flushNotice(int at, int peer) {
        Notice n = notices[at][peer];
        if (n.pending) {
            scheduleNotice(at, peer, n, 0);
        }
    }

    private void scheduleNotice(int at, int peer, Notice n, long delay) {
        long gen = ++n.gen;
        n.pending = true;
        int inc = endpoint.incarnation(at);
        clock.after(delay, () -> {
            if (n.gen != gen) {
                return;
            }
            n.pending = false;
            if (endpoint.isUp(at) && endpoint.incarnation(at) == inc) {
                endpoint.disconnected(at, peer);
            }
        });
    }

    /** Breaks the connection between a and b if it is open: in-flight messages are lost. */
    public void breakConnection(int a, int b) {
        Connection c = connection(a, b);
        if (!c.up) {
            return;
        }
        c.up = false;
        c.incarnation++;
        int dropped = 0;
        for (Direction d : c.dirs) {
            dropped += d.queue.size();
            d.queue.clear();
            d.pumpScheduled = false;
            d.lastDue = 0;
        }
        lost += dropped;
        trace.add(clock.now(), a, "break " + b + " (" + dropped + " in flight lost)", null,
                null);
        for (Direction d : c.dirs) {
            int at = d.from;
            if (endpoint.isUp(at)) {
                scheduleNotice(at, d.to, notices[at][d.to], 0);
            }
        }
    }

    /** The node crashed: its connections break (the other ends are told). */
    public void nodeDown(int node) {
        for (int other = 1; other <= nodes; other++) {
            if (other != node) {
                breakConnection(node, other);
                notices[node][other].gen++;
                notices[node][other].pending = false;
            }
        }
    }

    public boolean isConnected(int a, int b) {
        return connection(a, b).up;
    }

    public boolean isBlocked(int from, int to) {
        return blocked[from][to];
    }

    /** Messages queued from {@code from} to {@code to} and not yet delivered. */
    public int inFlight(int from, int to) {
        Connection c = connection(from, to);
        return direction(c, from).queue.size();
    }

    // ---- reachability ----

    /** Sets whether messages from {@code from} can reach {@code to}, then applies the change. */
    public void setBlocked(int from, int to, boolean value) {
        connection(from, to);
        blocked[from][to] = value;
        applyReachability();
    }

    /** Every node reaches every other one again. */
    public void heal() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
        trace.add(clock.now(), 0, "network heal", null, null);
        applyReachability();
    }

    /** Nodes in different groups cannot reach each other; every node must be in one group. */
    public void partition(List<? extends Collection<Integer>> groups) {
        int[] group = new int[nodes + 1];
        for (int g = 0; g < groups.size(); g++) {
            for (int n : groups.get(g)) {
                if (n < 1 || n > nodes || group[n] != 0) {
                    throw new IllegalArgumentException("partition " + groups
                            + ": node " + n + " is unknown or in two groups");
                }
                group[n] = g + 1;
            }
        }
        for (int n = 1; n <= nodes; n++) {
            if (group[n] == 0) {
                throw new IllegalArgumentException("partition " + groups + " leaves out node "
                        + n);
            }
        }
        for (int a = 1; a <= nodes; a++) {
            for (int b = 1; b <= nodes; b++) {
                blocked[a][b] = a != b && group[a] != group[b];
            }
        }
        trace.add(clock.now(), 0, "network partition " + groups, null, null);
        applyReachability();
    }

    /** {@code mid} sees everyone; a node of {@code left} and one of {@code right} cannot meet. */
    public void bridge(int mid, Set<Integer> left, Set<Integer> right) {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
        for (int a : left) {
            for (int b : right) {
                if (a == mid || b == mid || a == b) {
                    throw new IllegalArgumentException("bridge " + mid + " between " + left
                            + " and " + right + ": sides overlap");
                }
                blocked[a][b] = true;
                blocked[b][a] = true;
            }
        }
        trace.add(clock.now(), 0, "network bridge via " + mid + " " + left + " | " + right,
                null, null);
        applyReachability();
    }

    private void applyReachability() {
        for (int a = 1; a <= nodes; a++) {
            for (int b = a + 1; b <= nodes; b++) {
                Connection c = connections[a][b];
                if (!c.up) {
                    continue;
                }
                boolean ab = blocked[a][b];
                boolean ba = blocked[b][a];
                if (ab && ba) {
                    breakConnection(a, b);
                } else if (ab || ba) {
                    scheduleTimeout(c, a, b);
                } else {
                    for (Direction d : c.dirs) {
                        schedulePump(c, d, clock.now() + latency());
                    }
                }
            }
        }
    }

    /** A one-way cut: TCP gives up on the unacknowledged direction after a while. */
    private void scheduleTimeout(Connection c, int a, int b) {
        if (c.timeoutScheduled) {
            return;
        }
        c.timeoutScheduled = true;
        int inc = c.incarnation;
        clock.after(200_000 + random.nextLong(400_000), () -> {
            if (c.incarnation != inc) {
                return;
            }
            c.timeoutScheduled = false;
            if (c.up && (blocked[a][b] || blocked[b][a])) {
                breakConnection(a, b);
            }
        });
    }

    public long sent() {
        return sent;
    }

    public long delivered() {
        return delivered;
    }

    public long lost() {
        return lost;
    }
}
