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
 * @param historyMaxTxns how many txns the leader keeps in memory to serve DIFF; a learner further
 *     behind gets SNAP
 * @param proposalsInflightMax how many uncommitted proposals the leader allows before it rejects
 *     submits as OVERLOADED
 * @param zxidCounterMax the last counter a leader may use in one epoch before it must step down
 *     for a new epoch (0xFFFFFFFF; tests lower it)
 * @param joinExisting this node joins a cluster that already exists: if it starts with no
 *     currentEpoch (a blank or lost data directory) it abstains from elections until its first
 *     sync with an established leader is durable. False for the members that create a cluster.
 */
public record CoreConfig(PeerId self, Set<PeerId> voters, Set<PeerId> observers,
        int initLimitTicks, int syncLimitTicks, int maxTxnBytes, int historyMaxTxns,
        int proposalsInflightMax, long zxidCounterMax, boolean joinExisting) {

    public CoreConfig {
        voters = Set.copyOf(new TreeSet<>(voters));
        observers = Set.copyOf(new TreeSet<>(observers));
        if (!voters.contains(self) && !observers.contains(self)) {
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
                historyMaxTxns, proposalsInflightMax, zxidCounterMax, joinExisting);
    }

    public CoreConfig withHistoryMaxTxns(int max) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, max, proposalsInflightMax, zxidCounterMax, joinExisting);
    }

    public CoreConfig withZxidCounterMax(long max) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, max, joinExisting);
    }

    public CoreConfig withJoinExisting(boolean join) {
        return new CoreConfig(self, voters, observers, initLimitTicks, syncLimitTicks,
                maxTxnBytes, historyMaxTxns, proposalsInflightMax, zxidCounterMax, join);
    }
}
