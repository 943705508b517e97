package io.zab.election.fle.sim;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.ElectionContext;
import io.zab.election.Vote;
import io.zab.election.fle.FastLeaderElection;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One node of the election harness: a {@link FastLeaderElection} driven the way ZabCore drives
 * it, plus a minimal stand-in for the rest of the core. After a decision the node settles; a
 * leader is established once a quorum follows it (then it starts a new epoch and syncs its
 * followers' logs to its own, as Zab's discovery and synchronization would); a leader proposes
 * txns and followers log them with some lag; a node that loses its leader or its quorum for
 * syncLimit ticks (initLimit before it was ever synced) goes looking again with its durable
 * credentials.
 */
final class SimNode {
    static final int SYNC_LIMIT_TICKS = 5;
    static final int INIT_LIMIT_TICKS = 10;

    final PeerId id;
    final boolean observer;
    private final SimCluster cluster;

    boolean alive;
    int incarnation;
    FastLeaderElection fle;
    Role role;
    PeerId leader;
    /** A leader: a quorum synced to its epoch. A learner: synced to its leader's epoch. */
    boolean established;
    private int missedTicks;
    long lookStartUs;

    /** Durable state: survives a crash. */
    HistoryView log = HistoryView.EMPTY;
    long currentEpoch;
    /** The epoch whose leader's log this log is a prefix of; -1 when none. */
    long syncEpoch = -1;

    SimNode(SimCluster cluster, PeerId id, boolean observer) {
        this.cluster = cluster;
        this.id = id;
        this.observer = observer;
    }

    Vote credentials() {
        return new Vote(id, currentEpoch, log.last());
    }

    void start(long tickPhaseUs) {
        alive = true;
        incarnation++;
        fle = new FastLeaderElection(cluster.fleConfig());
        fle.init(new Context());
        int inc = incarnation;
        cluster.queue().after(tickPhaseUs, () -> tick(inc));
        goLooking();
    }

    void crash() {
        alive = false;
        incarnation++;
        fle = null;
        role = null;
        leader = null;
        established = false;
    }

    void goLooking() {
        role = Role.LOOKING;
        leader = null;
        established = false;
        missedTicks = 0;
        lookStartUs = cluster.queue().nowUs();
        cluster.onLooking(this);
        fle.lookForLeader(credentials());
        afterCall();
    }

    void receive(PeerId from, Notification n) {
        if (alive) {
            long ignored = fle.ignoredNotifications();
            fle.onNotification(from, n);
            if (fle.ignoredNotifications() != ignored && !cluster.badInputExpected()) {
                throw new AssertionError("node " + id + " rejected " + n + " from " + from
                        + " though nobody sent bad input; " + cluster.describe());
            }
            afterCall();
        }
    }

    private void tick(int inc) {
        if (!alive || inc != incarnation) {
            return;
        }
        fle.onTick();
        afterCall();
        coreTick();
        cluster.queue().after(SimCluster.TICK_US, () -> tick(inc));
    }

    /** What ZabCore does after every call: take the decision and settle. */
    private void afterCall() {
        fle.takeDecision().ifPresent(this::onDecision);
    }

    private void onDecision(PeerId decided) {
        if (decided.equals(id)) {
            role = Role.LEADING;
        } else {
            role = observer ? Role.OBSERVING : Role.FOLLOWING;
        }
        leader = decided;
        established = false;
        missedTicks = 0;
        Vote vote = fle.currentVote().orElseThrow();
        cluster.onDecision(this, vote);
        fle.onSettled(role, vote);
    }

    private void coreTick() {
        if (role == Role.LEADING) {
            leaderTick();
        } else if (role == Role.FOLLOWING || role == Role.OBSERVING) {
            learnerTick();
        }
    }

    private void learnerTick() {
        SimNode l = cluster.node(leader);
        boolean connected = l.alive && l.role == Role.LEADING && l.id.equals(l.leader)
                && cluster.network().reachable(id, l.id);
        if (connected) {
            missedTicks = 0;
            return;
        }
        int limit = established ? SYNC_LIMIT_TICKS : INIT_LIMIT_TICKS;
        if (++missedTicks >= limit) {
            goLooking();
        }
    }

    private void leaderTick() {
        List<SimNode> voters = new ArrayList<>();
        List<SimNode> learners = new ArrayList<>();
        for (SimNode n : cluster.nodes()) {
            if (n != this && n.alive && id.equals(n.leader) && n.role != Role.LEADING
                    && cluster.network().reachable(id, n.id)) {
                learners.add(n);
                if (!n.observer) {
                    voters.add(n);
                }
            }
        }
        Set<PeerId> ids = cluster.ids(voters);
        ids.add(id);
        boolean quorum = cluster.quorum().containsQuorum(ids);
        if (quorum) {
            missedTicks = 0;
            if (!established) {
                establish();
            }
            replicate(learners);
        } else if (++missedTicks >= (established ? SYNC_LIMIT_TICKS : INIT_LIMIT_TICKS)) {
            goLooking();
        }
    }

    /** Discovery and synchronization in one step: a new epoch, the leader's log everywhere. */
    private void establish() {
        cluster.checkLeaderHoldsCommitted(this);
        currentEpoch = cluster.nextEpoch();
        log = log.ownCopy();
        syncEpoch = currentEpoch;
        established = true;
        cluster.onEstablished(this);
    }

    private void replicate(List<SimNode> learners) {
        if (cluster.rng().nextDouble() < cluster.proposeRate()) {
            Zxid last = log.last();
            long counter = last.epoch() == currentEpoch ? last.counter() + 1 : 1;
            log = log.append(new Zxid(currentEpoch, counter));
        }
        for (SimNode n : learners) {
            if (n.syncEpoch != currentEpoch || !n.established) {
                n.syncFrom(this); // NEWLEADER acked: the whole log is on its disk
            } else if (cluster.rng().nextDouble() < 0.7) {
                n.log = log; // logged (fsynced) everything proposed so far
            }
        }
        updateCommitted();
    }

    void syncFrom(SimNode l) {
        log = l.log;
        currentEpoch = l.currentEpoch;
        syncEpoch = l.currentEpoch;
        established = true;
    }

    /** A txn is committed once a quorum of voters logged it in this epoch. */
    private void updateCommitted() {
        List<Integer> sizes = new ArrayList<>();
        for (SimNode n : cluster.nodes()) {
            if (!n.observer && n.syncEpoch == currentEpoch) {
                sizes.add(n.log.size());
            }
        }
        sizes.sort((a, b) -> Integer.compare(b, a));
        int q = cluster.quorumSize();
        if (sizes.size() >= q && sizes.get(q - 1) > 0) {
            cluster.markCommitted(log.get(sizes.get(q - 1) - 1));
        }
    }

    @Override
    public String toString() {
        return "node " + id + (alive ? "" : " (down)") + " " + role + " leader " + leader
                + " epoch " + currentEpoch + " log " + log + (fle == null ? "" : " " + fle);
    }

    /** The context of one incarnation: sends go to the simulated network. */
    private final class Context implements ElectionContext {
        @Override
        public PeerId self() {
            return id;
        }

        @Override
        public QuorumVerifier quorum() {
            return cluster.quorum();
        }

        @Override
        public Set<PeerId> observers() {
            return cluster.observerIds();
        }

        @Override
        public void send(PeerId to, Notification notification) {
            cluster.network().send(id, to, notification);
        }
    }
}
