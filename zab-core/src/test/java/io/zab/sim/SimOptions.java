package io.zab.sim;

import io.zab.Zxid;
import io.zab.election.LeaderElection;
import io.zab.election.QuorumMaxElection;
import io.zab.protocol.CoreConfig;
import java.util.function.Supplier;

/**
 * The shape of one simulated cluster: how many voters and observers, the {@code CoreConfig}
 * limits, which election to run, and the latency profile of the network and the disks. A mutable
 * builder; {@link SimCluster} copies what it needs at construction.
 *
 * <p>Times are virtual microseconds. One thread (the test's).
 */
public final class SimOptions {
    int voters = 3;
    int observers;
    /** Nodes started to join (not members at first): they become members by a change. */
    int spares;
    /** Spares start to join as observers (listed as one, as JOIN with an observer role). */
    boolean sparesObserve;
    int initLimitTicks = 10;
    int syncLimitTicks = 5;
    int maxTxnBytes = 256;
    int historyMaxTxns = 10_000;
    int proposalsInflightMax = 1_000;
    long zxidCounterMax = Zxid.MAX_PART;
    long historyMaxBytes = CoreConfig.HISTORY_MAX_BYTES;
    long proposalsInflightMaxBytes = CoreConfig.PROPOSALS_INFLIGHT_MAX_BYTES;
    long learnerWindowBytes = CoreConfig.LEARNER_WINDOW_BYTES;
    /** How long a client's submit or sync may wait for a leader and for room (0: not at all). */
    int requestWaitTicks;
    /** The runtime's pending budget: requests a node takes before refusing at the edge. */
    int pendingMaxTxns = Integer.MAX_VALUE;
    /**
     * Periodic snapshots as the runtime's delivery thread takes them: after this many txns
     * delivered, a snapshot of the state machine, and the log purged up to it; 0 for none.
     */
    long snapshotEveryTxns;
    Supplier<LeaderElection> election = QuorumMaxElection::new;
    /** Probability that one message takes the slow path (2-50 ms instead of 0.05-2 ms). */
    double slowMessageProbability = 0.01;
    int traceLines = Integer.getInteger("sim.traceLines", 150);

    public static SimOptions defaults() {
        return new SimOptions();
    }

    /** Voters are nodes 1..n; observers follow them. */
    public SimOptions voters(int n) {
        if (n < 1 || n > 9) {
            throw new IllegalArgumentException("voters must be in [1, 9]: " + n);
        }
        this.voters = n;
        return this;
    }

    public SimOptions observers(int n) {
        if (n < 0 || n > 4) {
            throw new IllegalArgumentException("observers must be in [0, 4]: " + n);
        }
        this.observers = n;
        return this;
    }

    public SimOptions limits(int initLimit, int syncLimit) {
        this.initLimitTicks = initLimit;
        this.syncLimitTicks = syncLimit;
        return this;
    }

    public SimOptions historyMaxTxns(int max) {
        this.historyMaxTxns = max;
        return this;
    }

    public SimOptions zxidCounterMax(long max) {
        this.zxidCounterMax = max;
        return this;
    }

    public SimOptions maxTxnBytes(int max) {
        this.maxTxnBytes = max;
        return this;
    }

    /** The byte limits of {@link CoreConfig}: history, in-flight proposals, learner window. */
    public SimOptions byteLimits(long history, long inflight, long window) {
        this.historyMaxBytes = history;
        this.proposalsInflightMaxBytes = inflight;
        this.learnerWindowBytes = window;
        return this;
    }

    /** Periodic snapshots every {@code txns} txns delivered, each followed by a purge. */
    public SimOptions snapshotEveryTxns(long txns) {
        if (txns < 0) {
            throw new IllegalArgumentException("snapshotEveryTxns must not be negative: " + txns);
        }
        this.snapshotEveryTxns = txns;
        return this;
    }

    public SimOptions pendingMaxTxns(int max) {
        this.pendingMaxTxns = max;
        return this;
    }

    public SimOptions requestWaitTicks(int ticks) {
        this.requestWaitTicks = ticks;
        return this;
    }

    public SimOptions proposalsInflightMax(int max) {
        this.proposalsInflightMax = max;
        return this;
    }

    /** The election each node starts with (a new instance per start), e.g. zab-election's FLE. */
    public SimOptions election(Supplier<LeaderElection> factory) {
        this.election = factory;
        return this;
    }

    public SimOptions slowMessageProbability(double p) {
        if (p < 0 || p > 1) {
            throw new IllegalArgumentException("slowMessageProbability must be in [0, 1]: " + p);
        }
        this.slowMessageProbability = p;
        return this;
    }

    public SimOptions traceLines(int n) {
        this.traceLines = n;
        return this;
    }

    /** Nodes after the voters and observers, started to join: members only once added. */
    public SimOptions spares(int n) {
        if (n < 0 || n > 4) {
            throw new IllegalArgumentException("spares must be in [0, 4]: " + n);
        }
        this.spares = n;
        return this;
    }

    /** The spares are to join as observers. */
    public SimOptions sparesObserve() {
        this.sparesObserve = true;
        return this;
    }

    public int nodeCount() {
        return voters + observers + spares;
    }

    @Override
    public String toString() {
        return voters + " voters, " + observers + " observers, initLimit " + initLimitTicks
                + ", syncLimit " + syncLimitTicks + ", historyMaxTxns " + historyMaxTxns
                + ", zxidCounterMax " + zxidCounterMax + ", bytes: history " + historyMaxBytes
                + " in flight " + proposalsInflightMaxBytes + " window " + learnerWindowBytes
                + ", wait " + requestWaitTicks + " ticks"
                + (snapshotEveryTxns > 0 ? ", snapshot every " + snapshotEveryTxns + " txns" : "");
    }
}
