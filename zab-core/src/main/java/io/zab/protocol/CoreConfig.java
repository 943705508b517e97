package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.quorum.MajorityQuorum;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings the protocol core needs; {@code ZabConfig} derives it for a real node.
 *
 * @param self this node
 * @param voters the voting members (followers and leader)
 * @param observers members that learn commits but never vote
 * @param initLimitTicks how long each step of discovery and synchronization may take
 * @param syncLimitTicks how long a leader and a follower may go without hearing each other
 * @param maxTxnBytes the largest payload accepted by submit
 * @param historyMaxTxns how many txns the history keeps in memory to serve DIFF to learners that
 *     reconnect; a leader keeps more for connected learners still to be fed, up to
 *     historyMaxBytes. A learner further behind is served from the log on disk while the log
 *     reaches back to it (the driver answers {@link Action.ReadLog}), else it gets SNAP
 * @param proposalsInflightMax how many uncommitted proposals the leader allows before it rejects
 *     submits as OVERLOADED
 * @param zxidCounterMax the last counter a leader may use in one epoch before it must step down
 *     for a new epoch (0xFFFFFFFF; tests lower it)
 * @param joinExisting this node joins a cluster that already exists: if it starts with no
 *     currentEpoch (a blank or lost data directory) it abstains from elections until its first
 *     sync with an established leader is durable. False for the members that create a cluster.
 * @param historyMaxBytes the bytes of txn payloads the history keeps in memory (with
 *     historyMaxTxns, whichever binds first); a learner behind what is kept is fed from the
 *     log, or dropped (it resyncs by SNAP) once the log does not reach back to it either
 * @param proposalsInflightMaxBytes the payload bytes the leader has proposed and not yet
 *     applied to its own state machine before it holds or refuses more (with
 *     proposalsInflightMax); a single txn is always admitted when nothing is in flight
 * @param learnerWindowBytes the payload bytes the leader sends a learner beyond what that
 *     learner acknowledged; a learner with a full window gets no more proposals until it acks
 * @param snapBytesPerTick the snapshot bytes the leader reads for one learner's SNAP per tick,
 *     on average; 0 for no limit
 */
public record CoreConfig(PeerId self, Set<PeerId> voters, Set<PeerId> observers,
        int initLimitTicks, int syncLimitTicks, int maxTxnBytes, int historyMaxTxns,
        int proposalsInflightMax, long zxidCounterMax, boolean joinExisting,
        long historyMaxBytes, long proposalsInflightMaxBytes, long learnerWindowBytes,
        long snapBytesPerTick) {

    /** Default byte limits: history 256 MiB, in flight 32 MiB, learner window 8 MiB. */
    public static final long HISTORY_MAX_BYTES = 256L << 20;
    public static final long PROPOSALS_INFLIGHT_MAX_BYTES = 32L << 20;
    public static final long LEARNER_WINDOW_BYTES = 8L << 20;

    /** The limits without a snapshot rate limit. */
    public CoreConfig(PeerId self, Set<PeerId> voters, Set<PeerId> observers,
            int initLimitTicks, int syncLimitTicks, int maxTxnBytes, int historyMaxTxns,
            int proposalsInflightMax, long zxidCounterMax, boolean joinExisting,
            long historyMaxBytes, long proposalsInflightMaxBytes, long learnerWindowBytes) {
        this(self, voters, observers, initLimitTicks, syncLimitTicks, maxTxnBytes,
                historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, 0);
    }

    /** The limits without the byte bounds (set to their defaults). */
    public CoreConfig(PeerId self, Set<PeerId> voters, Set<PeerId> observers,
            int initLimitTicks, int syncLimitTicks, int maxTxnBytes, int historyMaxTxns,
            int proposalsInflightMax, long zxidCounterMax, boolean joinExisting) {
        this(self, voters, observers, initLimitTicks, syncLimitTicks, maxTxnBytes,
                historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting,
                HISTORY_MAX_BYTES, PROPOSALS_INFLIGHT_MAX_BYTES, LEARNER_WINDOW_BYTES);
    }

    public CoreConfig {
        voters = Set.copyOf(new TreeSet<>(voters));
        observers = Set.copyOf(new TreeSet<>(observers));
        if (!voters.contains(self) && !observers.contains(self) && !joinExisting) {
            // Only a node started to join may be outside: a leader adds it by a change.
            throw new IllegalArgumentException("self " + self + " is neither voter nor observer");
        }
        for (PeerId o : observers) {
            if (voters.contains(o)) {
                throw new IllegalArgumentException("peer " + o + " is both voter and observer");
            }
        }
        requirePositive("initLimitTicks", initLimitTicks);
        requirePositive("syncLimitTicks", syncLimitTicks);
        requirePositive("maxTxnBytes", maxTxnBytes);
        requirePositive("historyMaxTxns", historyMaxTxns);
        requirePositive("proposalsInflightMax", proposalsInflightMax);
        requirePositive("historyMaxBytes", historyMaxBytes);
        requirePositive("proposalsInflightMaxBytes", proposalsInflightMaxBytes);
        requirePositive("learnerWindowBytes", learnerWindowBytes);
        if (snapBytesPerTick < 0) {
            throw new IllegalArgumentException("snapBytesPerTick must not be negative: "
                    + snapBytesPerTick);
        }
        if (zxidCounterMax < 2 || zxidCounterMax > Zxid.MAX_PART) {
            throw new IllegalArgumentException("zxidCounterMax must be in [2, 0xFFFFFFFF]: "
                    + zxidCounterMax);
        }
    }

    private static void requirePositive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive: " + value);
        }
    }

    /** Defaults for a cluster: 10-tick initLimit, 5-tick syncLimit, 1 MiB txns. */
    public static CoreConfig of(PeerId self, Set<PeerId> voters, Set<PeerId> observers) {
        return new CoreConfig(self, voters, observers, 10, 5, 1 << 20, 10_000, 10_000,
                Zxid.MAX_PART, false);
    }

    public QuorumVerifier quorum() {
        return new MajorityQuorum(voters);
    }

    public boolean isObserver() {
        return observers.contains(self);
    }

    /** Every member but this node. */
    public Set<PeerId> others() {
        Set<PeerId> all = new TreeSet<>(voters);
        all.addAll(observers);
        all.remove(self);
        return all;
    }

    public CoreConfig withLimits(int initLimit, int syncLimit) {
        return new CoreConfig(self, voters, observers, initLimit, syncLimit, maxTxnBytes,
                historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, snapBytesPerTick);
    }

    public CoreConfig withHistoryMaxTxns(int max) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, max, proposalsInflightMax, zxidCounterMax, joinExisting,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, snapBytesPerTick);
    }

    public CoreConfig withZxidCounterMax(long max) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, max, joinExisting,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, snapBytesPerTick);
    }

    public CoreConfig withJoinExisting(boolean join) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, zxidCounterMax, join,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, snapBytesPerTick);
    }

    public CoreConfig withByteLimits(long historyBytes, long inflightBytes, long windowBytes) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting,
                historyBytes, inflightBytes, windowBytes, snapBytesPerTick);
    }

    public CoreConfig withSnapBytesPerTick(long bytes) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting,
                historyMaxBytes, proposalsInflightMaxBytes, learnerWindowBytes, bytes);
    }
}
