package io.zab.election.fle.sim;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.election.fle.FleConfig;
import io.zab.protocol.quorum.MajorityQuorum;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/**
 * A deterministic harness for Fast Leader Election: voters 1..n and observers n+1..n+m, each a
 * {@link SimNode}, exchanging notifications over a {@link SimNetwork} in virtual time. Every
 * random choice comes from one seed, so a failing seed replays exactly.
 *
 * <p>It records every decision and establishment and checks, as they happen, that a leader
 * holds every committed txn when it establishes its epoch (Zab's PrimaryIntegrity, which the
 * vote order must guarantee) and that only voters are ever decided on.
 */
final class SimCluster {
    static final long TICK_US = 100_000;
    static final long MS = 1_000;
    static final long SECOND = 1_000_000;

    /** One decision of one node. */
    record Decision(long timeUs, PeerId node, int incarnation, long round, Vote vote,
            long lookStartUs) {
        PeerId leader() {
            return vote.leader();
        }
    }

    /** One node going LOOKING. */
    record Looking(long timeUs, PeerId node) {
    }

    /** One leader that got a quorum to follow it. */
    record Establishment(long timeUs, PeerId leader, long epoch) {
    }

    final long seed;
    private final SplittableRandom rng;
    private final EventQueue queue = new EventQueue();
    private final SimNetwork network;
    private final QuorumVerifier quorum;
    private final Set<PeerId> observerIds = new TreeSet<>();
    private final Map<PeerId, SimNode> nodes = new TreeMap<>();
    private final List<Decision> decisions = new ArrayList<>();
    private final List<Establishment> establishments = new ArrayList<>();
    private final List<Looking> lookings = new ArrayList<>();
    private FleConfig fleConfig = FleConfig.DEFAULT;
    private double proposeRate = 0.5;
    private boolean badInputExpected;
    private long epochs;
    private Zxid committed = Zxid.ZERO;

    SimCluster(long seed, int voters, int observers, NetConfig net) {
        this.seed = seed;
        this.rng = new SplittableRandom(seed);
        this.network = new SimNetwork(queue, rng.split(), net, (to, from, n) -> {
            nodes.get(to).receive(from, n);
        });
        Set<PeerId> voterIds = new TreeSet<>();
        for (int i = 1; i <= voters + observers; i++) {
            PeerId id = PeerId.of(i);
            boolean observer = i > voters;
            (observer ? observerIds : voterIds).add(id);
            nodes.put(id, new SimNode(this, id, observer));
        }
        this.quorum = new MajorityQuorum(voterIds);
    }

    // ----- set-up -----

    SimCluster fleConfig(FleConfig c) {
        this.fleConfig = c;
        return this;
    }

    /** Lets nodes reject notifications; otherwise a rejected one fails the run. */
    SimCluster expectBadInput() {
        this.badInputExpected = true;
        return this;
    }

    boolean badInputExpected() {
        return badInputExpected;
    }

    SimCluster proposeRate(double r) {
        this.proposeRate = r;
        return this;
    }

    /**
     * Gives every voter random durable credentials, drawn from small ranges so that ties are
     * common: currentEpoch in [0, 3], a last zxid of an epoch not above it, counter in [0, 5].
     * Observers get the best credentials of all, which must never matter.
     */
    void randomCredentials() {
        for (SimNode n : nodes.values()) {
            long epoch = n.observer ? 9 : rng.nextInt(4);
            long zxidEpoch = rng.nextLong(epoch + 1);
            long counter = zxidEpoch == 0 ? 0 : rng.nextInt(6);
            credentials(n.id, epoch, new Zxid(zxidEpoch, counter));
        }
    }

    /** Gives a node durable credentials before it starts (its log ends at {@code last}). */
    void credentials(PeerId id, long currentEpoch, Zxid last) {
        SimNode n = nodes.get(id);
        n.currentEpoch = currentEpoch;
        n.log = last.equals(Zxid.ZERO) ? HistoryView.EMPTY : HistoryView.of(List.of(last));
        epochs = Math.max(epochs, currentEpoch);
    }

    /** Starts every node within {@code spreadUs} of now. */
    void startAll(long spreadUs) {
        for (SimNode n : nodes.values()) {
            long at = queue.nowUs() + (spreadUs == 0 ? 0 : rng.nextLong(spreadUs + 1));
            queue.at(at, () -> n.start(rng.nextLong(TICK_US)));
        }
    }

    // ----- faults -----

    void crash(PeerId id) {
        SimNode n = nodes.get(id);
        n.crash();
        for (PeerId other : nodes.keySet()) {
            if (!other.equals(id)) {
                network.breakConnection(id, other);
            }
        }
    }

    void restart(PeerId id) {
        nodes.get(id).start(rng.nextLong(TICK_US));
    }

    @SafeVarargs
    final void partition(Set<PeerId>... groups) {
        network.partition(List.of(groups));
    }

    void heal() {
        network.heal();
    }

    // ----- running -----

    /** Runs for {@code durationUs} of virtual time. */
    void run(long durationUs) {
        queue.runUntil(queue.nowUs() + durationUs);
    }

    /**
     * Runs until {@code done} holds (checked every millisecond of virtual time) or
     * {@code limitUs} passes; true when it held.
     */
    boolean runUntil(BooleanSupplier done, long limitUs) {
        long end = queue.nowUs() + limitUs;
        while (queue.nowUs() < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            queue.runUntil(Math.min(end, queue.nowUs() + MS));
        }
        return done.getAsBoolean();
    }

    // ----- what happened -----

    /** The established leader that a quorum of live, reachable voters follows, if any. */
    Optional<SimNode> stableLeader() {
        for (SimNode l : nodes.values()) {
            if (l.alive && l.role == Role.LEADING && l.established) {
                Set<PeerId> with = new TreeSet<>();
                with.add(l.id);
                for (SimNode f : nodes.values()) {
                    if (f.alive && f.role == Role.FOLLOWING && l.id.equals(f.leader)
                            && f.established && network.reachable(f.id, l.id)) {
                        with.add(f.id);
                    }
                }
                if (quorum.containsQuorum(with)) {
                    return Optional.of(l);
                }
            }
        }
        return Optional.empty();
    }

    /** True when every live node in {@code ids} has settled with {@code leader}. */
    boolean allSettledOn(Collection<PeerId> ids, PeerId leader) {
        for (PeerId id : ids) {
            SimNode n = nodes.get(id);
            if (n.alive && (n.role == null || n.role == Role.LOOKING
                    || !leader.equals(n.leader))) {
                return false;
            }
        }
        return true;
    }

    List<Decision> decisions() {
        return decisions;
    }

    List<Establishment> establishments() {
        return establishments;
    }

    /** How many times a node went LOOKING. */
    long lookings() {
        return lookings.size();
    }

    List<Looking> lookingLog() {
        return lookings;
    }

    Zxid committed() {
        return committed;
    }

    long nowUs() {
        return queue.nowUs();
    }

    long eventsRun() {
        return queue.executed();
    }

    SimNode node(PeerId id) {
        return nodes.get(id);
    }

    SimNode node(int id) {
        return nodes.get(PeerId.of(id));
    }

    Collection<SimNode> nodes() {
        return nodes.values();
    }

    Set<PeerId> voterIds() {
        return quorum.voters();
    }

    /** The voter with the best credentials (what an undisturbed election elects). */
    PeerId bestVoter() {
        Vote best = null;
        for (SimNode n : nodes.values()) {
            if (!n.observer && (best == null || n.credentials().isBetterThan(best))) {
                best = n.credentials();
            }
        }
        return best.leader();
    }

    String describe() {
        StringBuilder sb = new StringBuilder("seed " + seed + " at " + queue.nowUs() / MS
                + " ms, committed " + committed + ":");
        for (SimNode n : nodes.values()) {
            sb.append("\n  ").append(n);
        }
        return sb.toString();
    }

    // ----- for SimNode -----

    EventQueue queue() {
        return queue;
    }

    SimNetwork network() {
        return network;
    }

    SplittableRandom rng() {
        return rng;
    }

    FleConfig fleConfig() {
        return fleConfig;
    }

    double proposeRate() {
        return proposeRate;
    }

    QuorumVerifier quorum() {
        return quorum;
    }

    int quorumSize() {
        return quorum.voters().size() / 2 + 1;
    }

    Set<PeerId> observerIds() {
        return observerIds;
    }

    Set<PeerId> ids(Collection<SimNode> ns) {
        Set<PeerId> out = new TreeSet<>();
        for (SimNode n : ns) {
            out.add(n.id);
        }
        return out;
    }

    long nextEpoch() {
        return ++epochs;
    }

    void markCommitted(Zxid z) {
        committed = Zxid.max(committed, z);
    }

    void onLooking(SimNode n) {
        lookings.add(new Looking(queue.nowUs(), n.id));
    }

    void onDecision(SimNode n, Vote vote) {
        PeerId leader = vote.leader();
        if (!quorum.isVoter(leader)) {
            throw new AssertionError("node " + n.id + " decided on non-voter " + leader + "; "
                    + describe());
        }
        decisions.add(new Decision(queue.nowUs(), n.id, n.incarnation, n.fle.round(), vote,
                n.lookStartUs));
    }

    void onEstablished(SimNode leader) {
        establishments.add(new Establishment(queue.nowUs(), leader.id, leader.currentEpoch));
    }

    /** PrimaryIntegrity: a leader must hold every committed txn before it starts its epoch. */
    void checkLeaderHoldsCommitted(SimNode leader) {
        if (!committed.equals(Zxid.ZERO) && !leader.log.contains(committed)) {
            throw new AssertionError("leader " + leader.id + " establishes without committed "
                    + committed + "; " + describe());
        }
    }
}
