package io.zab.sim;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.Send;
import io.zab.protocol.Outcome;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.UpToDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The oracle: the invariants of RELIABILITY.md, checked incrementally as the simulation runs,
 * so each step costs O(1) or O(log n). A violation throws an {@link AssertionError} whose message
 * starts with the invariant's name.
 *
 * <p>The central structure is the global chain: the sequence of (zxid, hash-chain value) that
 * the state machines have delivered, position by position. Each delivery at position k must
 * equal the chain's k-th entry or extend the chain by one (PrefixConsistency, Agreement,
 * TotalOrder in one check); a restored snapshot must land on a point of it.
 *
 * <p>One thread (the simulation's).
 */
public final class Checkers {
    private final SimCluster cluster;
    /** Leadership: the sid that reached broadcast in each epoch. */
    private final Map<Long, Integer> leaderOfEpoch = new HashMap<>();
    /** Integrity: every txn a leader proposed, by zxid. */
    private final Map<Long, Txn> proposed = new HashMap<>();
    private long[] chainZxid = new long[1024];
    private long[] chainHash = new long[1024];
    private int chainSize;
    private final Map<Long, Integer> chainIndex = new HashMap<>();
    /** The highest chain position of a write some client saw acknowledged. */
    private long ackedMaxPosition;
    private long ackedWrites;
    private long latestAckedInvocation = -1;

    Checkers(SimCluster cluster) {
        this.cluster = cluster;
    }

    static AssertionError violation(String invariant, String detail) {
        return new AssertionError(invariant + ": " + detail);
    }

    // ---- what leaders propose (Integrity) ----

    void onLeaderAppend(SimNode node, AppendTxns append) {
        for (Txn t : append.txns()) {
            recordProposal(node, t);
        }
    }

    private void recordProposal(SimNode node, Txn t) {
        long z = t.zxid().toLong();
        Txn known = proposed.putIfAbsent(z, t);
        if (known != null && !sameTxn(known, t)) {
            throw violation("Integrity", "leader " + node.id() + " proposed a second, different"
                    + " txn under " + t.zxid() + " (a zxid must name one proposal)");
        }
    }

    /** Same data and same kind (a membership change is never the host's txn, nor back). */
    private static boolean sameTxn(Txn a, Txn b) {
        return a == b || a.membership() == b.membership()
                && (a.data() == b.data() || Arrays.equals(a.data(), b.data()));
    }

    // ---- what nodes send ----

    /** Checks a message as its node emits it; {@code role} is the node's role at that point. */
    void onSend(SimNode node, Send send, Role role) {
        Message m = send.message();
        SimDisk disk = node.disk();
        if (m instanceof Ack a) {
            if (!disk.durablyHolds(a.zxid())) {
                throw violation("NoAckBeforeDurable", "node " + node.id() + " sent ACK "
                        + a.zxid() + " but its durable log ends at " + disk.durableLastZxid());
            }
        } else if (m instanceof AckNewLeader a) {
            checkAckNewLeader(node, a);
        } else if (m instanceof AckEpoch a) {
            checkAckEpoch(node, a);
        } else if (m instanceof LeaderInfo li && disk.epochs().acceptedEpoch() < li.epoch()) {
            throw violation("PersistedEpochs", "leader " + node.id() + " sent LEADERINFO "
                    + li.epoch() + " before saving it (acceptedEpoch on disk "
                    + disk.epochs().acceptedEpoch() + ", ZOOKEEPER-1291)");
        } else if (role == Role.LEADING) {
            if (m instanceof Proposal p) {
                recordProposal(node, p.txn());
                node.proposedUnder.putIfAbsent(p.txn().zxid(), quorumFor(node, p.txn().zxid()));
            } else if (m instanceof Commit c) {
                checkCommitDurable(node, c.zxid(), "COMMIT");
            } else if (m instanceof Inform i) {
                checkCommitDurable(node, i.txn().zxid(), "INFORM");
            } else if (m instanceof UpToDate u) {
                checkCommitDurable(node, u.committedZxid(), "UPTODATE");
            }
        }
    }

    private void checkAckNewLeader(SimNode node, AckNewLeader a) {
        SimDisk disk = node.disk();
        if (!disk.durablyHolds(a.zxid())) {
            throw violation("NoAckBeforeDurable", "node " + node.id() + " acked NEWLEADER at "
                    + a.zxid() + " but its durable log ends at " + disk.durableLastZxid()
                    + " (ZOOKEEPER-3911/4646)");
        }
        if (disk.epochs().currentEpoch() != a.epoch()) {
            throw violation("NoAckBeforeDurable", "node " + node.id() + " acked NEWLEADER of"
                    + " epoch " + a.epoch() + " with currentEpoch " + disk.epochs().currentEpoch()
                    + " on disk (ZOOKEEPER-4643/4785)");
        }
    }

    private void checkAckEpoch(SimNode node, AckEpoch a) {
        SimDisk disk = node.disk();
        if (disk.epochs().acceptedEpoch() < a.epoch()) {
            throw violation("NoAckBeforeDurable", "node " + node.id() + " sent ACKEPOCH "
                    + a.epoch() + " with acceptedEpoch " + disk.epochs().acceptedEpoch()
                    + " on disk (ZOOKEEPER-1282)");
        }
        if (!disk.durablyHolds(a.lastZxid())) {
            throw violation("NoAckBeforeDurable", "node " + node.id() + " reported last zxid "
                    + a.lastZxid() + " in ACKEPOCH but its durable log ends at "
                    + disk.durableLastZxid());
        }
    }

    /** A leader may announce z as committed only once a quorum of voters holds it durably. */
    private void checkCommitDurable(SimNode leader, Zxid zxid, String what) {
        if (!zxid.isAfter(leader.commitChecked)) {
            return;
        }
        checkHeldByQuorum(leader, zxid, quorumFor(leader, zxid), what, "");
        // Every txn this announcement commits that the leader proposed while a change was in
        // flight needs the quorum of then, joint, even if the change committed since: the
        // voters the change adds cannot be elected until they know it committed, so a txn
        // only they hold could be lost (found by a review of that election rule).
        java.util.NavigableMap<Zxid, io.zab.protocol.quorum.QuorumVerifier> covered =
                leader.proposedUnder.headMap(zxid, true);
        for (java.util.Map.Entry<Zxid, io.zab.protocol.quorum.QuorumVerifier> e
                : covered.entrySet()) {
            checkHeldByQuorum(leader, e.getKey(), e.getValue(), what + " " + zxid + " covering",
                    " (the quorum in force when it was proposed)");
        }
        covered.clear();
        leader.commitChecked = zxid;
    }

    /**
     * The quorum the leader counts by now for {@code zxid}: joint while a membership change is
     * in flight, but the old one for a txn before the change: every node that holds the change
     * holds that txn too, so every later quorum, joint or new, meets its holders (seed 417169:
     * 0x400000015 committed by old voters in the step that proposed the change after it, and
     * this check, run after the step, asked a joint quorum).
     */
    private static io.zab.protocol.quorum.QuorumVerifier quorumFor(SimNode leader, Zxid zxid) {
        io.zab.protocol.quorum.QuorumVerifier quorum = leader.core().quorumInForce();
        io.zab.Membership pending = leader.core().pendingMembership();
        if (quorum instanceof io.zab.protocol.quorum.JointQuorum joint && pending != null
                && zxid.isBefore(pending.version())) {
            quorum = joint.old();
        }
        return quorum;
    }

    private void checkHeldByQuorum(SimNode leader, Zxid zxid,
            io.zab.protocol.quorum.QuorumVerifier quorum, String what, String which) {
        java.util.Set<io.zab.PeerId> holders = new java.util.HashSet<>();
        StringBuilder who = new StringBuilder();
        for (SimNode v : cluster.nodes()) {
            if (v.disk().durablyCovers(zxid) || v.disk().heldBeforeWipe(zxid)) {
                holders.add(io.zab.PeerId.of(v.id()));
                who.append(' ').append(v.id());
            }
        }
        if (!quorum.containsQuorum(holders)) {
            throw violation("Durability", "leader " + leader.id() + " sent " + what + " " + zxid
                    + " but only voters [" + who.toString().trim() + "] hold it durably, not a"
                    + " quorum of " + quorum + which);
        }
    }

    // ---- after each core step ----

    /** Leadership and PrimaryIntegrity, on the node that just handled an event. */
    void afterHandle(SimNode node) {
        boolean leading = node.core().role() == Role.LEADING && node.core().isBroadcasting();
        if (!leading) {
            node.broadcastingEpoch = -1;
            node.proposedUnder.clear(); // a later epoch syncs what is left by its own quorum
            return;
        }
        long epoch = node.core().epoch();
        if (epoch == node.broadcastingEpoch) {
            return;
        }
        node.broadcastingEpoch = epoch;
        Integer other = leaderOfEpoch.putIfAbsent(epoch, node.id());
        if (other == null) {
            cluster.stats().leaders++;
        }
        if (other != null && other != node.id()) {
            throw violation("Leadership", "nodes " + other + " and " + node.id()
                    + " both reached broadcast as leaders of epoch " + epoch);
        }
        // The spec's PrimaryIntegrity covers txns of earlier epochs only: a leader that froze
        // before counting its NEWLEADER acks may establish an old epoch after later ones
        // delivered txns; it can commit nothing new, and its history is a prefix of theirs.
        int k = firstChainIndexOfEpoch(epoch) - 1;
        Zxid logged = node.core().lastLoggedZxid();
        if (k >= 0 && Long.compareUnsigned(chainZxid[k], logged.toLong()) > 0) {
            throw violation("PrimaryIntegrity", "node " + node.id() + " leads epoch " + epoch
                    + " with history ending " + logged + " but " + Zxid.fromLong(chainZxid[k])
                    + " was already delivered (chain position " + (k + 1) + ")");
        }
    }

    /** The chain index of the first txn of {@code epoch} or later (chainSize if none). */
    private int firstChainIndexOfEpoch(long epoch) {
        long first = new Zxid(epoch, 0).toLong();
        int lo = 0;
        int hi = chainSize;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(chainZxid[mid], first) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // ---- deliveries ----

    /** Delivers one txn to the node's state machine and checks it; returns its position. */
    long onDeliver(SimNode node, Txn txn) {
        SimStateMachine sm = node.stateMachine();
        Zxid z = txn.zxid();
        Zxid prev = sm.lastZxid();
        if (!prev.isFollowedBy(z)) {
            String name = z.epoch() < prev.epoch() ? "GlobalPrimaryOrder" : "LocalPrimaryOrder";
            throw violation(name, "node " + node.id() + " delivered " + z + " right after "
                    + prev);
        }
        Txn known = proposed.get(z.toLong());
        if (known == null || !sameTxn(known, txn)) {
            throw violation("Integrity", "node " + node.id() + " delivered " + txn + " that no"
                    + " leader proposed" + (known == null ? "" : " (the proposal differs)"));
        }
        if (!node.disk().durablyCovers(z)) {
            throw violation("Durability", "node " + node.id() + " delivered " + z
                    + " before it was on its disk (durable log ends "
                    + node.disk().durableLastZxid() + ")");
        }
        long position = txn.membership() ? applyMembership(node, txn) : sm.apply(z, txn.data());
        int k = (int) position - 1;
        if (k < chainSize) {
            if (chainZxid[k] != z.toLong() || chainHash[k] != sm.hash()) {
                throw chainMismatch(node, k, z);
            }
        } else if (k == chainSize) {
            extendChain(z, sm.hash(), txn.membership() ? null : txn.data());
        } else {
            throw violation("PrefixConsistency", "node " + node.id() + " is at position "
                    + position + " beyond the chain of " + chainSize);
        }
        return position;
    }

    /**
     * A membership txn takes a position of the chain (its zxid is compared like any other) but
     * never reaches the host's state: the hash at its position is the one before it.
     */
    private static long applyMembership(SimNode node, Txn txn) {
        try {
            return node.stateMachine().applyMembership(txn.zxid(), txn.data());
        } catch (IllegalArgumentException e) {
            throw violation("Integrity", "node " + node.id() + " delivered membership txn "
                    + txn.zxid() + " that carries no membership of its zxid: " + e.getMessage());
        }
    }

    private AssertionError chainMismatch(SimNode node, int k, Zxid z) {
        Zxid expected = Zxid.fromLong(chainZxid[k]);
        String where = "node " + node.id() + " delivered " + z + " at position " + (k + 1)
                + " where the chain has " + expected;
        if (expected.equals(z)) {
            return violation("PrefixConsistency", where + " with a different history or"
                    + " payload (hash differs)");
        }
        Integer other = chainIndex.get(z.toLong());
        if (other != null) {
            return violation("TotalOrder", where + "; " + z + " is at position " + (other + 1)
                    + " of the chain");
        }
        return violation("Agreement", where);
    }

    /** @param data the host's payload, or null for a membership txn (no client wrote it) */
    private void extendChain(Zxid z, long hash, byte[] data) {
        if (chainSize > 0 && Long.compareUnsigned(chainZxid[chainSize - 1], z.toLong()) >= 0) {
            throw violation("TotalOrder", z + " extends a chain that ends at "
                    + Zxid.fromLong(chainZxid[chainSize - 1]));
        }
        if (chainSize == chainZxid.length) {
            chainZxid = Arrays.copyOf(chainZxid, chainSize * 2);
            chainHash = Arrays.copyOf(chainHash, chainSize * 2);
        }
        chainZxid[chainSize] = z.toLong();
        chainHash[chainSize] = hash;
        chainIndex.put(z.toLong(), chainSize);
        chainSize++;
        SimRequest r = data == null ? null : cluster.generatedRequest(data);
        if (r == null) {
            return;
        }
        if (r.chainPosition != 0) {
            throw violation("Integrity", "payload of " + r + " was committed twice: at "
                    + r.chainPosition + " and " + chainSize);
        }
        r.chainPosition = chainSize;
        if (r.payload.length > cluster.options().maxTxnBytes) {
            throw violation("RequestOutcome", r + " of " + r.payload.length + " bytes, above"
                    + " maxTxnBytes, was committed");
        }
        if (r.status == SimRequest.Status.FAILED && isDefinite(r.outcome)) {
            throw violation("RequestOutcome", r + " was refused (" + r.outcome + ") but"
                    + " committed at " + z);
        }
    }

    private static boolean isDefinite(Outcome o) {
        return o.kind() == Outcome.Kind.NOT_LEADER || o.kind() == Outcome.Kind.TOO_LARGE
                || o.kind() == Outcome.Kind.OVERLOADED;
    }

    /** The node's state machine was replaced by a snapshot (SNAP, or restart). */
    void onRestore(SimNode node, Zxid zxid, byte[] data, String why) {
        SimStateMachine sm = node.stateMachine();
        try {
            sm.restoreBytes(data);
        } catch (IllegalArgumentException e) {
            throw violation("SnapshotIntegrity", "node " + node.id() + " restored a bad"
                    + " snapshot (" + why + "): " + e.getMessage());
        }
        if (!sm.lastZxid().equals(zxid)) {
            throw violation("SnapshotIntegrity", "node " + node.id() + " restored a snapshot"
                    + " said to be at " + zxid + " whose state is at " + sm.lastZxid() + " ("
                    + why + ", ZOOKEEPER-3104)");
        }
        long count = sm.count();
        if (count == 0) {
            return;
        }
        int k = (int) count - 1;
        if (k >= chainSize || chainZxid[k] != zxid.toLong() || chainHash[k] != sm.hash()) {
            throw violation("PrefixConsistency", "node " + node.id() + " restored a snapshot"
                    + " at " + zxid + " (" + count + " txns, " + why + ") that is not a point"
                    + " of the delivered chain");
        }
    }

    // ---- client requests ----

    /**
     * A write bound to this node delivered its txn: the client sees success. A request bound
     * to a membership txn (a membership change) carries no host payload to compare.
     */
    void onWriteDelivered(SimNode node, SimRequest r, Txn txn, long position) {
        if (r.kind == SimRequest.Kind.CHANGE ? !txn.membership()
                : !Arrays.equals(r.payload, txn.data())) {
            throw violation("RequestOutcome", r + " was bound to " + txn.zxid()
                    + " but that txn carries another payload");
        }
        if (!txn.membership() && r.payload.length > cluster.options().maxTxnBytes) {
            throw violation("RequestOutcome", r + " of " + r.payload.length + " bytes, above"
                    + " maxTxnBytes, succeeded");
        }
        r.status = SimRequest.Status.SUCCEEDED;
        if (r.kind == SimRequest.Kind.CHANGE) {
            cluster.stats().changesDone++;
        }
        r.zxid = txn.zxid();
        r.completedAt = cluster.now();
        if (r.chainPosition == 0) {
            r.chainPosition = position;
        }
        ackedWrites++;
        ackedMaxPosition = Math.max(ackedMaxPosition, position);
        latestAckedInvocation = Math.max(latestAckedInvocation, r.invokedAt);
    }

    void onComplete(SimNode node, SimRequest r, Outcome outcome) {
        if (r.isDone()) {
            throw violation("RequestOutcome", r + " completed again with " + outcome);
        }
        r.outcome = outcome;
        r.completedAt = cluster.now();
        if (isTransferOutcome(outcome) && r.kind != SimRequest.Kind.TRANSFER
                && r.kind != SimRequest.Kind.CHANGE) {
            throw violation("RequestOutcome", r + " completed with " + outcome);
        }
        if (outcome.kind() == Outcome.Kind.TRANSFERRED) {
            r.status = SimRequest.Status.TRANSFERRED;
            return;
        }
        if (outcome.kind() == Outcome.Kind.SYNCED) {
            if (r.kind != SimRequest.Kind.SYNC) {
                throw violation("RequestOutcome", r + " (a write) completed as SYNCED");
            }
            checkSync(node, r, outcome);
            r.status = SimRequest.Status.SYNCED;
            return;
        }
        r.status = SimRequest.Status.FAILED;
        if (r.kind == SimRequest.Kind.WRITE && r.chainPosition != 0 && isDefinite(outcome)) {
            throw violation("RequestOutcome", r + " was refused (" + outcome + ") but is"
                    + " committed at chain position " + r.chainPosition);
        }
    }

    /** What only a transfer ends with (it may also end with NOT_LEADER). */
    private static boolean isTransferOutcome(Outcome o) {
        return o.kind() == Outcome.Kind.TRANSFERRED || o.kind() == Outcome.Kind.REFUSED
                || o.kind() == Outcome.Kind.TIMED_OUT;
    }

    private void checkSync(SimNode node, SimRequest r, Outcome outcome) {
        SimStateMachine sm = node.stateMachine();
        if (sm.count() < r.ackedBeforeInvoke) {
            throw violation("LinearizableSync", r + " completed on node " + node.id() + " at"
                    + " position " + sm.count() + " but a write at position "
                    + r.ackedBeforeInvoke + " was acknowledged before the sync was invoked"
                    + " (ZOOKEEPER-1675)");
        }
        if (outcome.zxid() != null && outcome.zxid().isAfter(sm.lastZxid())) {
            throw violation("LinearizableSync", r + " completed with read point "
                    + outcome.zxid() + " but node " + node.id() + " has delivered only up to "
                    + sm.lastZxid());
        }
    }

    long ackedMaxPosition() {
        return ackedMaxPosition;
    }

    /** The latest invocation time of a write that was acknowledged; -1 before any. */
    public long latestAckedInvocation() {
        return latestAckedInvocation;
    }

    public long ackedWrites() {
        return ackedWrites;
    }

    // ---- whole-cluster checks ----

    /** Every check that needs a scan of the cluster; call between steps, not on each one. */
    void checkAll() {
        Map<Long, Integer> broadcasting = new HashMap<>();
        for (SimNode n : cluster.nodes()) {
            n.disk().verifyShadow(n.id());
            long accepted = n.disk().epochs().acceptedEpoch();
            long current = n.disk().epochs().currentEpoch();
            if (current > accepted) {
                throw violation("PersistedEpochs", "node " + n.id() + " has currentEpoch "
                        + current + " above acceptedEpoch " + accepted + " on disk");
            }
            if (!n.isUp()) {
                continue;
            }
            if (n.core().role() == Role.LEADING && n.core().isBroadcasting()) {
                Integer other = broadcasting.putIfAbsent(n.core().epoch(), n.id());
                if (other != null) {
                    throw violation("Leadership", "nodes " + other + " and " + n.id()
                            + " both broadcast as leaders of epoch " + n.core().epoch());
                }
            }
            SimStateMachine sm = n.stateMachine();
            int k = (int) sm.count() - 1;
            if (k >= 0 && (k >= chainSize || chainHash[k] != sm.hash())) {
                throw violation("PrefixConsistency", "node " + n.id() + " state " + sm
                        + " is not a point of the delivered chain");
            }
        }
    }

    /** Every acknowledged write is delivered on every live node (call once converged). */
    void checkAcknowledgedWritesEverywhere() {
        for (SimNode n : cluster.nodes()) {
            if (n.isUp() && cluster.isMember(n)
                    && n.stateMachine().count() < ackedMaxPosition) {
                throw violation("Durability", "node " + n.id() + " converged at position "
                        + n.stateMachine().count() + " without the acknowledged write at "
                        + ackedMaxPosition);
            }
        }
        for (SimRequest r : cluster.requests()) {
            if (r.status == SimRequest.Status.SUCCEEDED) {
                int k = (int) r.chainPosition - 1;
                if (k < 0 || k >= chainSize || chainZxid[k] != r.zxid.toLong()) {
                    throw violation("Durability", "acknowledged " + r
                            + " is not on the delivered chain");
                }
            }
        }
    }

    public int chainLength() {
        return chainSize;
    }

    public Zxid chainTip() {
        return chainSize == 0 ? Zxid.ZERO : Zxid.fromLong(chainZxid[chainSize - 1]);
    }

    public long chainTipHash() {
        return chainSize == 0 ? 0 : chainHash[chainSize - 1];
    }

    /** The zxid at a 1-based chain position. */
    public Zxid chainAt(int position) {
        if (position < 1 || position > chainSize) {
            throw new IllegalArgumentException("chain position " + position + " outside [1, "
                    + chainSize + "]");
        }
        return Zxid.fromLong(chainZxid[position - 1]);
    }
}
