package io.zab;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A ready {@link ZabMetrics}: counters, histograms and last values per node, readable with
 * {@link #of}, as JMX beans ({@link #registerJmx}) and in the Prometheus text format
 * ({@link #writePrometheus}). Give one to {@link ZabNode.Builder#metrics}; one recorder may
 * serve several nodes. Thread-safe; recording never blocks (adders and atomics).
 */
public final class MetricsRecorder implements ZabMetrics {
    /** Upper bounds, in seconds, of the latency histograms' buckets (the last is +Inf). */
    static final double[] BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
        0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<PeerId, Node> nodes = new ConcurrentHashMap<>();

    /**
     * What was recorded for one node so far (zeros and empties for a node never reported).
     *
     * @param node the node
     * @return its live record; read it at any time, from any thread
     */
    public Node of(PeerId node) {
        return nodes.computeIfAbsent(node, n -> new Node());
    }

    @Override
    public void roleChanged(PeerId node, Role role, long epoch, Optional<PeerId> leader) {
        of(node).roleChanged(role, epoch, leader);
    }

    @Override
    public void electionFinished(PeerId node, long nanos) {
        of(node).lastElectionNanos.set(nanos);
    }

    @Override
    public void committed(PeerId node, int txns, long bytes) {
        Node n = of(node);
        n.txnsCommitted.add(txns);
        n.bytesCommitted.add(bytes);
    }

    @Override
    public void commitLatency(PeerId node, long nanos) {
        of(node).commitLatency.record(nanos);
    }

    @Override
    public void fsync(PeerId node, long nanos) {
        of(node).fsync.record(nanos);
    }

    @Override
    public void snapshotSaved(PeerId node, long nanos, long bytes) {
        Node n = of(node);
        n.lastSnapshotNanos.set(nanos);
        n.lastSnapshotBytes.set(bytes);
    }

    @Override
    public void syncStarted(PeerId node, Sync mode, PeerId learner) {
        of(node).syncs.get(mode).increment();
    }

    @Override
    public void refused(PeerId node, Refusal reason) {
        of(node).refused.get(reason).increment();
    }

    @Override
    public void handshakeRefused(PeerId node) {
        of(node).handshakesRefused.increment();
    }

    /** The record of one node. */
    public static final class Node {
        private final AtomicReference<Role> role = new AtomicReference<>(Role.LOOKING);
        /** 0: never had a leader; 1: has one; 2: lost the one it had. */
        private final AtomicInteger leaderState = new AtomicInteger();
        private final LongAdder leaderChanges = new LongAdder();
        private final AtomicLong lastElectionNanos = new AtomicLong(-1);
        private final LongAdder txnsCommitted = new LongAdder();
        private final LongAdder bytesCommitted = new LongAdder();
        private final Histogram commitLatency = new Histogram();
        private final Histogram fsync = new Histogram();
        private final AtomicLong lastSnapshotNanos = new AtomicLong(-1);
        private final AtomicLong lastSnapshotBytes = new AtomicLong(-1);
        private final Map<Sync, LongAdder> syncs = adders(Sync.class);
        private final Map<Refusal, LongAdder> refused = adders(Refusal.class);
        private final LongAdder handshakesRefused = new LongAdder();

        private Node() {
        }

        private static <E extends Enum<E>> Map<E, LongAdder> adders(Class<E> type) {
            Map<E, LongAdder> m = new EnumMap<>(type);
            for (E e : type.getEnumConstants()) {
                m.put(e, new LongAdder());
            }
            return m;
        }

        private void roleChanged(Role r, long e, Optional<PeerId> leader) {
            role.set(r);
            if (r == Role.LOOKING) {
                leaderState.compareAndSet(1, 2);
            } else if (leader.isPresent() && leaderState.getAndSet(1) == 2) {
                leaderChanges.increment(); // a leader again after losing one: a new epoch
            }
        }

        /** @return the role last reported */
        public Role role() {
            return role.get();
        }

        /** @return how many times the node took a leader after losing the one it had */
        public long leaderChanges() {
            return leaderChanges.sum();
        }

        /** @return how long the last election took, from looking to serving */
        public Optional<Duration> lastElection() {
            long n = lastElectionNanos.get();
            return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
        }

        /** @return txns committed and delivered here */
        public long txnsCommitted() {
            return txnsCommitted.sum();
        }

        /** @return their payload bytes */
        public long bytesCommitted() {
            return bytesCommitted.sum();
        }

        /** @return submit-to-delivery latency of the txns submitted here */
        public Histogram commitLatency() {
            return commitLatency;
        }

        /** @return how long each forced batch of the log took */
        public Histogram fsync() {
            return fsync;
        }

        /** @return how long writing the last snapshot took */
        public Optional<Duration> lastSnapshot() {
            long n = lastSnapshotNanos.get();
            return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
        }

        /** @return the last snapshot's size in bytes, or -1 before the first */
        public long lastSnapshotBytes() {
            return lastSnapshotBytes.get();
        }

        /**
         * @param mode a way of syncing a learner
         * @return how many learner syncs this node began that way while leading
         */
        public long syncs(Sync mode) {
            return syncs.get(mode).sum();
        }

        /**
         * @param reason a reason for refusing
         * @return how many submits and syncs on this node were refused for it
         */
        public long refused(Refusal reason) {
            return refused.get(reason).sum();
        }

        /** @return how many incoming connections were refused before their handshake ended */
        public long handshakesRefused() {
            return handshakesRefused.sum();
        }
    }

    /** Durations in fixed buckets (the Prometheus histogram's shape), recorded without locks. */
    public static final class Histogram {
        private final LongAdder[] counts = new LongAdder[BUCKETS.length + 1];
        private final DoubleAdder sumSeconds = new DoubleAdder();

        private Histogram() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        private void record(long nanos) {
            double seconds = nanos / 1e9;
            int i = 0;
            while (i < BUCKETS.length && seconds > BUCKETS[i]) {
                i++;
            }
            counts[i].increment();
            sumSeconds.add(seconds);
        }

        /** @return how many durations were recorded */
        public long count() {
            long c = 0;
            for (LongAdder a : counts) {
                c += a.sum();
            }
            return c;
        }

        /** @return their sum, in seconds */
        public double sumSeconds() {
            return sumSeconds.sum();
        }

        /**
         * The upper bound of the bucket that holds the q-quantile: an estimate no finer than the
         * buckets (0.1 ms, 0.25 ms, 0.5 ms, 1 ms, … 10 s), infinite beyond the last.
         *
         * @param q the quantile, 0 to 1
         * @return the estimate in seconds, or 0 when nothing was recorded
         */
        public double quantileSeconds(double q) {
            long[] c = cumulative();
            long total = c[c.length - 1];
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(q * total);
            for (int i = 0; i < BUCKETS.length; i++) {
                if (c[i] >= rank) {
                    return BUCKETS[i];
                }
            }
            return Double.POSITIVE_INFINITY;
        }

        private long[] cumulative() {
            long[] c = new long[counts.length];
            long run = 0;
            for (int i = 0; i < counts.length; i++) {
                run += counts[i].sum();
                c[i] = run;
            }
            return c;
        }
    }

    /** What JMX shows of one node: this recorder's figures and the node's own status. */
    public interface NodeMXBean {
        /** @return the node's role */
        String getRole();

        /** @return its epoch */
        long getEpoch();

        /** @return leader changes it saw */
        long getLeaderChanges();

        /** @return the last election's duration in seconds, or -1 */
        double getLastElectionSeconds();

        /** @return txns committed and delivered */
        long getTxnsCommitted();

        /** @return the commit latency's median, in seconds (bucket bound) */
        double getCommitLatencyP50Seconds();

        /** @return the commit latency's 99th percentile, in seconds (bucket bound) */
        double getCommitLatencyP99Seconds();

        /** @return the fsync's 99th percentile, in seconds (bucket bound) */
        double getFsyncP99Seconds();

        /** @return payload bytes proposed and not applied (leader) */
        long getInflightBytes();

        /** @return each learner's lag in txns (leader), by id */
        Map<String, Long> getLearnerLagTxns();

        /** @return the last snapshot's duration in seconds, or -1 */
        double getLastSnapshotSeconds();

        /** @return the last snapshot's size in bytes, or -1 */
        long getLastSnapshotBytes();

        /** @return learner syncs begun, by mode */
        Map<String, Long> getSyncs();

        /** @return refused requests, by reason */
        Map<String, Long> getRefused();

        /** @return incoming connections refused before their handshake ended */
        long getHandshakesRefused();

        /** @return why the node is in its state */
        String getExplanation();
    }

    /**
     * Registers a JMX bean for {@code node} with the platform MBean server, named
     * {@code io.zab:type=Node,id=<id>}; unregister it with the returned name when the node
     * closes.
     *
     * @param node a node built with this recorder
     * @return the bean's name
     * @throws JMException when the name is taken or the server refuses the bean
     */
    public ObjectName registerJmx(ZabNode node) throws JMException {
        ObjectName name = new ObjectName("io.zab:type=Node,id=" + node.id().value());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        server.registerMBean(new javax.management.StandardMBean(new Bean(node), NodeMXBean.class,
                true), name);
        return name;
    }

    private final class Bean implements NodeMXBean {
        private final ZabNode node;

        Bean(ZabNode node) {
            this.node = node;
        }

        private Node rec() {
            return of(node.id());
        }

        @Override
        public String getRole() {
            return node.status().role().name();
        }

        @Override
        public long getEpoch() {
            return node.status().epoch();
        }

        @Override
        public long getLeaderChanges() {
            return rec().leaderChanges();
        }

        @Override
        public double getLastElectionSeconds() {
            return rec().lastElection().map(d -> d.toNanos() / 1e9).orElse(-1.0);
        }

        @Override
        public long getTxnsCommitted() {
            return rec().txnsCommitted();
        }

        @Override
        public double getCommitLatencyP50Seconds() {
            return rec().commitLatency().quantileSeconds(0.5);
        }

        @Override
        public double getCommitLatencyP99Seconds() {
            return rec().commitLatency().quantileSeconds(0.99);
        }

        @Override
        public double getFsyncP99Seconds() {
            return rec().fsync().quantileSeconds(0.99);
        }

        @Override
        public long getInflightBytes() {
            return node.status().inflightBytes();
        }

        @Override
        public Map<String, Long> getLearnerLagTxns() {
            Map<String, Long> out = new TreeMap<>();
            node.status().learners().forEach((id, l) -> out.put(id.toString(), l.lagTxns()));
            return out;
        }

        @Override
        public double getLastSnapshotSeconds() {
            return rec().lastSnapshot().map(d -> d.toNanos() / 1e9).orElse(-1.0);
        }

        @Override
        public long getLastSnapshotBytes() {
            return rec().lastSnapshotBytes();
        }

        @Override
        public Map<String, Long> getSyncs() {
            Map<String, Long> out = new TreeMap<>();
            for (Sync s : Sync.values()) {
                out.put(s.name().toLowerCase(Locale.ROOT), rec().syncs(s));
            }
            return out;
        }

        @Override
        public Map<String, Long> getRefused() {
            Map<String, Long> out = new TreeMap<>();
            for (Refusal r : Refusal.values()) {
                out.put(r.name().toLowerCase(Locale.ROOT), rec().refused(r));
            }
            return out;
        }

        @Override
        public long getHandshakesRefused() {
            return rec().handshakesRefused();
        }

        @Override
        public String getExplanation() {
            return node.status().explanation();
        }
    }

    /**
     * Writes {@code node}'s metrics in the Prometheus text format 0.0.4: this recorder's
     * figures, and gauges read from the node's status at the call. Names carry their units;
     * the node's id is a label ({@code node}), as are the role, the learner, the sync mode and
     * the refusal reason.
     *
     * @param node a node built with this recorder
     * @param out where to write
     * @throws IOException from {@code out}
     */
    public void writePrometheus(ZabNode node, Appendable out) throws IOException {
        NodeStatus s = node.status();
        Node r = of(s.id());
        String id = "node=\"" + s.id().value() + "\"";
        type(out, "zab_role", "gauge", "1 for the node's current role");
        for (Role role : Role.values()) {
            line(out, "zab_role", id + ",role=\"" + role.name().toLowerCase(Locale.ROOT) + "\"",
                    s.role() == role ? 1 : 0);
        }
        gauge(out, "zab_epoch", "the epoch the node leads or follows in", id, s.epoch());
        type(out, "zab_leader_changes_total", "counter", "times the node took a leader after"
                + " losing one");
        line(out, "zab_leader_changes_total", id, r.leaderChanges());
        gauge(out, "zab_election_seconds", "how long the last election took (-1: none yet)",
                id, r.lastElection().map(d -> d.toNanos() / 1e9).orElse(-1.0));
        histogram(out, "zab_commit_latency_seconds",
                "submit to delivery of the txns submitted on this node", id, r.commitLatency());
        histogram(out, "zab_fsync_seconds", "forcing one batch of the log", id, r.fsync());
        type(out, "zab_txns_committed_total", "counter", "txns committed and delivered here");
        line(out, "zab_txns_committed_total", id, r.txnsCommitted());
        gauge(out, "zab_inflight_bytes", "payload bytes proposed and not applied (leader)", id,
                s.inflightBytes());
        type(out, "zab_learner_lag_txns", "gauge", "txns a learner has not acknowledged"
                + " (leader)");
        for (Map.Entry<PeerId, LearnerStatus> e : s.learners().entrySet()) {
            line(out, "zab_learner_lag_txns", id + ",learner=\"" + e.getKey().value() + "\"",
                    e.getValue().lagTxns());
        }
        gauge(out, "zab_snapshot_seconds", "how long the last snapshot took (-1: none yet)",
                id, r.lastSnapshot().map(d -> d.toNanos() / 1e9).orElse(-1.0));
        gauge(out, "zab_snapshot_bytes", "the last snapshot's size (-1: none yet)", id,
                r.lastSnapshotBytes());
        type(out, "zab_sync_total", "counter", "learner syncs this node began as leader");
        for (Sync mode : Sync.values()) {
            line(out, "zab_sync_total", id + ",mode=\"" + mode.name().toLowerCase(Locale.ROOT)
                    + "\"", r.syncs(mode));
        }
        type(out, "zab_submits_refused_total", "counter", "submits and syncs refused, never"
                + " applied");
        for (Refusal why : Refusal.values()) {
            line(out, "zab_submits_refused_total", id + ",reason=\""
                    + why.name().toLowerCase(Locale.ROOT) + "\"", r.refused(why));
        }
        type(out, "zab_handshakes_refused_total", "counter", "incoming connections refused"
                + " before their handshake ended (authentication, bad bytes, timeout, limit)");
        line(out, "zab_handshakes_refused_total", id, r.handshakesRefused());
    }

    private static void type(Appendable out, String name, String type, String help)
            throws IOException {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(Appendable out, String name, String help, String labels,
            double value) throws IOException {
        type(out, name, "gauge", help);
        line(out, name, labels, value);
    }

    private static void line(Appendable out, String name, String labels, double value)
            throws IOException {
        out.append(name).append('{').append(labels).append("} ").append(number(value))
                .append('\n');
    }

    private static void histogram(Appendable out, String name, String help, String labels,
            Histogram h) throws IOException {
        type(out, name, "histogram", help);
        long[] c = h.cumulative();
        for (int i = 0; i < BUCKETS.length; i++) {
            line(out, name + "_bucket", labels + ",le=\"" + number(BUCKETS[i]) + "\"", c[i]);
        }
        line(out, name + "_bucket", labels + ",le=\"+Inf\"", c[c.length - 1]);
        line(out, name + "_sum", labels, h.sumSeconds());
        line(out, name + "_count", labels, c[c.length - 1]);
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
