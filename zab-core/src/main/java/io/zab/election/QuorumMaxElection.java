package io.zab.election;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.message.Notification;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small deterministic election for the simulator and tests: every LOOKING voter broadcasts the
 * best vote it knows each tick and adopts any better one; it decides once a quorum of voters
 * backs its vote and either every voter has spoken or {@link #FINALIZE_TICKS} passed without a
 * better vote. A node that has a role answers LOOKING ones with its leader, and a LOOKING node
 * joins a leader that says LEADING once a quorum of voters report following it.
 *
 * <p>Two nodes may decide differently when they heard different quorums; Zab's discovery phase
 * keeps that safe (a leader needs a quorum of followers and steps down if one is ahead), and a
 * retry settles it. Fast Leader Election (zab-election) is the production choice.
 *
 * <p>Protocol thread only, like every {@link LeaderElection}.
 */
public final class QuorumMaxElection implements LeaderElection {
    static final int FINALIZE_TICKS = 2;

    private ElectionContext context;
    private boolean looking;
    /** An observer, or a voter that may not vote yet ({@link ElectionContext#mayVote}). */
    private boolean abstaining;
    private long round;
    private Vote vote;
    private final Map<PeerId, Vote> lookingVotes = new TreeMap<>();
    private final Map<PeerId, Notification> settledVotes = new TreeMap<>();
    private int ticksSinceQuorum = -1;
    private PeerId decision;
    private Role settledRole = Role.LOOKING;
    private Vote settledVote;

    @Override
    public void init(ElectionContext ctx) {
        this.context = ctx;
    }

    private boolean isVoter(PeerId peer) {
        return context.quorum().isVoter(peer);
    }

    @Override
    public void lookForLeader(Vote self) {
        looking = true;
        round++;
        lookingVotes.clear();
        settledVotes.clear();
        ticksSinceQuorum = -1;
        decision = null;
        settledRole = Role.LOOKING;
        abstaining = !isVoter(context.self()) || !context.mayVote();
        // A voter a change in flight adds votes, but only for a candidate (a voter of the
        // committed membership): nodes that missed the change could never back it.
        vote = abstaining || !context.isCandidate(context.self()) ? null : self;
        if (vote != null) {
            lookingVotes.put(context.self(), vote);
        }
        broadcast();
    }

    private void broadcast() {
        Set<PeerId> all = new HashSet<>(context.quorum().voters());
        all.addAll(context.observers());
        all.remove(context.self());
        for (PeerId p : new TreeSet<>(all)) {
            context.send(p, new Notification(voteOrSelf(), round, Role.LOOKING,
                    context.abstains(), context.membershipVersion()));
        }
    }

    /** An observer with no voter's vote yet still announces itself, so voters answer it. */
    private Vote voteOrSelf() {
        return vote != null ? vote : new Vote(context.self(), 0, Zxid.ZERO);
    }

    @Override
    public void onNotification(PeerId from, Notification n) {
        if (!looking) {
            if (n.state() == Role.LOOKING && settledVote != null) {
                context.send(from, new Notification(settledVote, round, settledRole,
                        context.abstains(), context.membershipVersion()));
            }
            return;
        }
        if (n.state() == Role.LEADING && n.vote().leader().equals(from)
                && (!context.isMember() || (!abstaining && !context.isCandidate(context.self())
                        && context.isCandidate(from)
                        && context.membershipVersion().equals(n.membershipVersion())))) {
            // A node to be added: only the leader staging it answers it. A voter a change in
            // flight adds: the old voters that missed the change never tell it whom they follow
            // (seed 1002701), yet the leader needs its vote for a joint quorum.
            decide(from);
            return;
        }
        if (!isVoter(from) || n.abstains() || !isVoter(n.vote().leader())) {
            return;
        }
        if (n.state() == Role.LOOKING) {
            lookingVotes.put(from, n.vote());
            if (context.isCandidate(n.vote().leader())
                    && (vote == null || n.vote().isBetterThan(vote))) {
                vote = n.vote();
                lookingVotes.put(context.self(), vote);
                ticksSinceQuorum = -1;
                if (!abstaining) {
                    broadcast();
                }
            }
        } else {
            settledVotes.put(from, n);
            checkJoin(n.vote().leader());
        }
        checkQuorum();
    }

    private void checkJoin(PeerId leader) {
        Notification fromLeader = settledVotes.get(leader);
        if (fromLeader == null || fromLeader.state() != Role.LEADING) {
            return;
        }
        Set<PeerId> backers = new HashSet<>();
        for (Map.Entry<PeerId, Notification> e : settledVotes.entrySet()) {
            if (e.getValue().vote().leader().equals(leader)) {
                backers.add(e.getKey());
            }
        }
        if (context.quorum().containsAnyQuorum(backers)) {
            decide(leader);
        }
    }

    private void checkQuorum() {
        if (!looking || vote == null) {
            return;
        }
        Set<PeerId> backers = new HashSet<>();
        for (Map.Entry<PeerId, Vote> e : lookingVotes.entrySet()) {
            if (e.getValue().leader().equals(vote.leader())) {
                backers.add(e.getKey());
            }
        }
        if (!context.quorum().containsQuorum(backers)) {
            ticksSinceQuorum = -1;
            return;
        }
        if (backers.containsAll(context.quorum().voters())) {
            decide(vote.leader());
        } else if (ticksSinceQuorum < 0) {
            ticksSinceQuorum = 0;
        } else if (ticksSinceQuorum >= FINALIZE_TICKS) {
            decide(vote.leader());
        }
    }

    private void decide(PeerId leader) {
        if (leader.equals(context.self())
                && (abstaining || !context.isCandidate(context.self()))) {
            return; // a stale vote: for this node before it lost its data, or it is not a candidate
        }
        looking = false;
        decision = leader;
    }

    @Override
    public void onTick() {
        if (!looking) {
            return;
        }
        if (ticksSinceQuorum >= 0) {
            ticksSinceQuorum++;
        }
        broadcast();
        checkQuorum();
    }

    @Override
    public void onSettled(Role role, Vote leader) {
        looking = false;
        settledRole = role;
        settledVote = leader;
    }

    @Override
    public Optional<PeerId> takeDecision() {
        PeerId d = decision;
        decision = null;
        return Optional.ofNullable(d);
    }
}
