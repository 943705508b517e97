package io.zab.election.fle;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.ElectionContext;
import io.zab.election.LeaderElection;
import io.zab.election.Vote;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fast Leader Election as ZooKeeper runs it, as a pure state machine.
 *
 * <p>A looking voter proposes its own credentials (currentEpoch, last logged zxid, sid), sends
 * its vote to every voter, adopts and re-broadcasts any better vote of its round, and decides
 * once a quorum backs its vote and no better vote arrives for {@link FleConfig#finalizeWaitTicks}
 * ticks (at once when every voter backs it). A notification from an older round is answered
 * with the current vote; one from a newer round moves this node to that round and resets its
 * tally. A node that is FOLLOWING or LEADING answers a looking one with the leader it has, so a
 * restarted node joins a running leader once a quorum of voters says it follows that leader and
 * the leader itself says it is LEADING. A looking node resends its vote after a notification
 * timeout that doubles up to a cap. Observers ask the voters, learn the outcome and never vote.
 *
 * <p>Beyond ZooKeeper, which relies on TCP keeping the last message of each channel: a looking
 * voter that hears a worse vote of its own round answers the sender with its vote (the sender
 * cannot have seen it, since a vote only improves within a round), so a lost notification is
 * repaired without waiting for the next resend.
 *
 * <p>Membership versions. Every notification carries the version of the newest membership its
 * sender knows ({@link ElectionContext#membershipVersion}, read at each {@link #lookForLeader}).
 * Nodes that know different memberships disagree on who votes and what a quorum is, so a looking
 * node never counts, nor adopts, the vote of a notification at another version. One that hears
 * of a newer version knows it is stale: for the rest of the election it abstains (it neither
 * votes for itself nor adopts votes, and says so, so the nodes at its version stop counting it)
 * and it joins a leader only on that leader's own word that it is LEADING at the newest version
 * heard, since it cannot judge a quorum of a membership it does not know. A notification at an
 * older version is still answered, so its stale sender learns of the newer version and, from the
 * leader, who leads.
 *
 * <p>Candidates. Only a voter of the committed membership is ranked and elected
 * ({@link ElectionContext#isCandidate}), as in ZooKeeper: while a change is in flight, the voters
 * it adds vote and count toward the joint quorum, but start with no vote of their own and adopt
 * only votes for candidates; and since the old voters that missed the change do not know them,
 * they follow a candidate on its own word that it leads at their membership version.
 *
 * <p>Threading: deterministic and single-threaded. {@code ZabCore} calls every method on the
 * protocol thread (the simulator on its own thread); the election never calls back except
 * through {@link ElectionContext#send} during a call.
 */
public final class FastLeaderElection implements LeaderElection {
    private static final Logger LOG = LoggerFactory.getLogger(FastLeaderElection.class);
    private static final long WARN_FIRST = 10;
    private static final long WARN_EVERY = 1_000;

    private final FleConfig config;
    private final Backoff backoff;
    /** Bad notifications per member, to rate-limit their warnings. */
    private final Map<PeerId, Long> ignoredByPeer = new TreeMap<>();
    private ElectionContext context;
    private PeerId self;
    private boolean observer;
    /**
     * An observer, or a voter that may not vote yet (blank and joining an existing cluster,
     * {@link ElectionContext#mayVote}): it learns the leader from the voters and never votes.
     * Fixed per election.
     */
    private boolean abstaining;
    /**
     * This node may be elected ({@link ElectionContext#isCandidate}): false for a voter a change
     * in flight adds, which votes (for a candidate) but never for itself. Fixed per election.
     */
    private boolean candidate;
    /** The context's quorum and observers this election's view was made from. */
    private QuorumVerifier members;
    private Set<PeerId> observing;
    private NotificationCheck check;
    private List<PeerId> otherVoters;
    /** This round's latest vote of each voter (ZooKeeper's recvset). */
    private VoteTally roundVotes;
    /** The latest word of each FOLLOWING or LEADING voter, any round (outofelection). */
    private VoteTally settledVotes;

    /** Null until the first {@link #lookForLeader} or {@link #onSettled}. */
    private Role role;
    /** The logical clock. An observer keeps the highest round its voters told it instead. */
    private long round;
    private Vote ownVote;
    /** The vote this node backs while looking; null for an observer that has heard none. */
    private Vote proposal;
    /** The leader's vote this node answers looking peers with once it has a role. */
    private Vote settledVote;
    /** The membership version of this election: what this node knew at lookForLeader. */
    private Zxid version = Zxid.ZERO;
    /** This election heard of a membership newer than {@link #version}. */
    private boolean stale;
    /** This node is in no membership it knows: it joins, and follows a leader on its word. */
    private boolean outsider;
    /** The newest membership version heard in this election ({@link #version} at first). */
    private Zxid newestVersion = Zxid.ZERO;
    /** Ticks left of the finalize wait; 0 when no quorum backs the proposal. */
    private int finalizeTicksLeft;
    private PeerId decision;
    private long ignoredNotifications;
    private long ignoredFromStrangers;

    public FastLeaderElection() {
        this(FleConfig.DEFAULT);
    }

    public FastLeaderElection(FleConfig config) {
        this.config = config;
        this.backoff = new Backoff(config.notificationTimeoutMinTicks(),
                config.notificationTimeoutMaxTicks());
    }

    @Override
    public void init(ElectionContext context) {
        if (this.context != null) {
            throw new IllegalStateException("init called twice on the election of "
                    + this.context.self());
        }
        this.self = context.self();
        readMembers(context);
        this.context = context;
    }

    /**
     * Takes who votes and who observes from the context: at init, and at each lookForLeader,
     * since a membership change may have changed them (a tally always holds the quorum it was
     * made with, so the tallies are made again; each election starts them empty anyway).
     */
    private void readMembers(ElectionContext from) {
        QuorumVerifier quorum = from.quorum();
        Set<PeerId> observers = Set.copyOf(from.observers());
        if (quorum == members && observers.equals(observing)) {
            return;
        }
        boolean isObserver = observers.contains(self);
        // A node not in the membership (started to join) asks like an observer and follows
        // the leader on its own word: only the leader adding it talks to it.
        outsider = !isObserver && !quorum.isVoter(self);
        members = quorum;
        observing = observers;
        observer = isObserver || outsider;
        check = new NotificationCheck(self, quorum.voters(), observers);
        otherVoters = quorum.voters().stream().filter(p -> !p.equals(self)).sorted().toList();
        roundVotes = new VoteTally(quorum);
        settledVotes = new VoteTally(quorum);
    }

    @Override
    public void lookForLeader(Vote self) {
        requireInit();
        readMembers(context);
        requireOwnVote(self);
        version = java.util.Objects.requireNonNull(context.membershipVersion(),
                "membershipVersion");
        newestVersion = version;
        stale = false;
        abstaining = observer || !context.mayVote();
        candidate = !abstaining && context.isCandidate(this.self);
        // An observer follows the voters' rounds: a round of its own could run ahead of them
        // and make it ignore every vote they send.
        round = abstaining ? 0 : round + 1;
        role = Role.LOOKING;
        ownVote = self;
        proposal = candidate ? self : null;
        settledVote = null;
        decision = null;
        finalizeTicksLeft = 0;
        roundVotes.clear();
        settledVotes.clear();
        backoff.reset();
        recordOwnVote();
        LOG.debug("peer {} looks for a leader in round {} with {} at membership version {}",
                this.self, round, self, version);
        broadcast();
        checkProposal();
    }

    @Override
    public void onNotification(PeerId from, Notification n) {
        requireInit();
        if (role != null && role != Role.LOOKING) {
            // Settled: the membership may have changed since (a member being added asks us).
            readMembers(context);
        }
        if (outsider && role == Role.LOOKING && saysItLeads(from, n) && check.isMember(from)
                && NotificationCheck.shapeProblem(n) == null
                && NotificationCheck.epochProblem(n.vote()) == null) {
            round = Math.max(round, n.round());
            decide(n.vote(), "it leads, and this node is not a member yet");
            return;
        }
        String problem = check.problem(from, n, version);
        if (problem != null) {
            ignore(from, n, problem);
            return;
        }
        if (role == null) {
            return;
        }
        if (isAddedVoter() && saysItLeads(from, n) && context.isCandidate(from)
                && n.membershipVersion().equals(version)) {
            // The old voters that missed the change do not know this node and never tell it
            // whom they follow, so it cannot count a quorum behind a running leader; yet the
            // leader needs this node's vote for its joint quorum (random simulation seed
            // 1002701). Its own word that it leads will do, as for a node not yet a member:
            // following a leader that is no longer one only costs a timeout.
            round = Math.max(round, n.round());
            decide(n.vote(), "it leads, and this node is a voter the change in flight adds");
            return;
        }
        if (role == Role.LOOKING && !n.membershipVersion().equals(version)) {
            onOtherMembership(from, n);
        } else if (!context.quorum().isVoter(from) || n.abstains()) {
            // An observer (or an abstaining voter) is asking who leads; tell it what this node
            // knows, never count it. A voter's word that it abstains replaces its vote.
            forget(from);
            answer(from, n);
        } else if (role != Role.LOOKING) {
            answer(from, n);
        } else if (n.state() == Role.LOOKING) {
            onLookingVote(from, n);
        } else {
            onSettledVote(from, n);
        }
    }

    @Override
    public void onTick() {
        requireInit();
        if (role != Role.LOOKING) {
            return;
        }
        if (finalizeTicksLeft > 0 && --finalizeTicksLeft == 0
                && roundVotes.quorumBacks(proposal)) {
            decide(proposal, "a quorum backed it for the finalize wait");
            return;
        }
        if (backoff.onTick()) {
            LOG.debug("peer {} resends its vote of round {}; next resend in {} ticks", self,
                    round, backoff.intervalTicks());
            broadcast();
        }
    }

    @Override
    public void onSettled(Role role, Vote leader) {
        requireInit();
        String problem = settledProblem(role, leader);
        if (problem != null) {
            throw new IllegalArgumentException("peer " + self + " cannot settle as " + role
                    + " with " + leader + ": " + problem);
        }
        this.role = role;
        this.settledVote = leader;
        this.finalizeTicksLeft = 0;
    }

    @Override
    public Optional<PeerId> takeDecision() {
        PeerId d = decision;
        decision = null;
        return Optional.ofNullable(d);
    }

    /** LOOKING while electing, the settled role after; empty before the first election. */
    public Optional<Role> role() {
        return Optional.ofNullable(role);
    }

    /** The logical clock: the round of the current (or last) election. */
    public long round() {
        return round;
    }

    /** The vote this node backs while looking, or the leader's vote it settled with. */
    public Optional<Vote> currentVote() {
        return Optional.ofNullable(role == Role.LOOKING ? proposal : settledVote);
    }

    /** How many notifications were dropped as bad input (each was logged at WARN). */
    public long ignoredNotifications() {
        return ignoredNotifications;
    }

    private void onLookingVote(PeerId from, Notification n) {
        if (n.round() > round) {
            enterRound(n);
        } else if (n.round() < round) {
            if (!abstaining) {
                reply(from);
            }
            return;
        } else if (!stale && isBetter(n.vote())) {
            adopt(n.vote());
        } else if (!abstaining && proposal != null && (proposal.isBetterThan(n.vote())
                || !context.isCandidate(n.vote().leader()))) {
            // The sender has not seen our better vote (a vote only improves within a round),
            // or it is a voter a change adds, voting for itself until it hears a candidate.
            reply(from);
        }
        settledVotes.remove(from);
        roundVotes.put(from, n.vote(), Role.LOOKING);
        checkProposal();
    }

    /**
     * Looking, and the sender knows another membership: its vote is never counted or adopted,
     * and any word of its at our version no longer stands. An older sender is answered, so it
     * learns it is stale; a newer one makes this node stale, and if it is the leader saying it
     * leads at the newest version heard, this node joins it.
     */
    private void onOtherMembership(PeerId from, Notification n) {
        forget(from);
        Zxid theirs = n.membershipVersion();
        if (theirs.compareTo(version) < 0) {
            answer(from, n);
            return;
        }
        becomeStale(theirs);
        if (n.state() == Role.LEADING && theirs.equals(newestVersion)) {
            round = Math.max(round, n.round());
            decide(n.vote(), "it leads at membership version " + theirs + ", newer than this"
                    + " node's " + version);
        }
    }

    private void becomeStale(Zxid seen) {
        if (seen.compareTo(newestVersion) > 0) {
            newestVersion = seen;
        }
        if (stale) {
            return;
        }
        stale = true;
        LOG.info("peer {} knows membership version {} and heard of {}: it is stale, so it"
                + " abstains for the rest of this election", self, version, seen);
        if (!abstaining) {
            abstaining = true;
            proposal = null;
            finalizeTicksLeft = 0;
            roundVotes.remove(self);
            // The nodes at our version may count our vote: tell them it is withdrawn.
            broadcast();
        }
    }

    /** The latest word of {@code peer} is that it cannot be counted: drop what it said before. */
    private void forget(PeerId peer) {
        if (role == Role.LOOKING && (roundVotes.get(peer) != null
                || settledVotes.get(peer) != null)) {
            roundVotes.remove(peer);
            settledVotes.remove(peer);
            checkProposal(); // the finalize wait ends if the quorum went with it
        }
    }

    private void onSettledVote(PeerId from, Notification n) {
        Vote v = n.vote();
        if (n.round() == round) {
            roundVotes.put(from, v, n.state());
            if (roundVotes.quorumBacks(v) && leaderConfirmed(roundVotes, v.leader())) {
                decide(v, "a quorum of round " + round + " settled on it");
                return;
            }
        }
        settledVotes.put(from, v, n.state());
        // Join a running leader only on its own word plus a quorum's: a follower's claim alone
        // may be stale. Never join ourselves this way: we are looking, so we do not lead. While
        // we hold a change in flight, a quorum of the old or the new voters will do: the leader
        // may have been elected without the change (random simulation seed 300141).
        if (!v.leader().equals(self) && settledVotes.anyQuorumBacks(v)
                && settledVotes.claimsLeading(v.leader())) {
            round = Math.max(round, n.round());
            decide(settledVotes.get(v.leader()).vote(), "a quorum follows this running leader");
            return;
        }
        if (n.round() == round) {
            checkProposal();
        }
    }

    /**
     * Drops a bad notification with a WARN naming the peer and the reason. A peer that keeps
     * sending garbage gets its first {@value #WARN_FIRST} logged, then one in
     * {@value #WARN_EVERY}, so it cannot flood the log; senders that are not members share one
     * count, so made-up sids cannot grow the map.
     */
    private void ignore(PeerId from, Notification n, String problem) {
        ignoredNotifications++;
        long count = check.isMember(from) ? ignoredByPeer.merge(from, 1L, Long::sum)
                : ++ignoredFromStrangers;
        if (count <= WARN_FIRST || count % WARN_EVERY == 0) {
            LOG.warn("peer {} ignores an election notification from peer {}: {} ({}; {} ignored"
                    + " from this sender so far)", self, from, problem, n, count);
        } else {
            LOG.debug("peer {} ignores an election notification from peer {}: {} ({})", self,
                    from, problem, n);
        }
    }

    private boolean leaderConfirmed(VoteTally tally, PeerId leader) {
        return leader.equals(self) || tally.claimsLeading(leader);
    }

    private void enterRound(Notification n) {
        round = n.round();
        roundVotes.clear();
        finalizeTicksLeft = 0;
        if (stale) {
            proposal = null; // adopts nothing; still follows a leader established at its version
        } else if (context.isCandidate(n.vote().leader())
                && (abstaining || !candidate || n.vote().isBetterThan(ownVote))) {
            proposal = n.vote();
        } else {
            // A vote for a voter a change adds is its sender's placeholder: adopted by none.
            proposal = candidate ? ownVote : null;
        }
        announce();
    }

    private void adopt(Vote better) {
        proposal = better;
        finalizeTicksLeft = 0;
        announce();
    }

    /**
     * A voter tells every voter its new vote. An observer keeps quiet: its vote counts for
     * nothing, and the voters answer its periodic questions anyway.
     */
    private void announce() {
        if (!abstaining) {
            recordOwnVote();
            broadcast();
        }
    }

    /** {@code n} is its sender's own word that it leads (checked before any other check). */
    private static boolean saysItLeads(PeerId from, Notification n) {
        return n != null && n.state() == Role.LEADING && n.vote() != null && from != null
                && from.equals(n.vote().leader());
    }

    /** Looking as a voter that a change in flight adds: it votes, and is no candidate. */
    private boolean isAddedVoter() {
        return role == Role.LOOKING && !abstaining && !candidate && !stale;
    }

    /** Whether {@code v} names a candidate and beats the vote this node backs. */
    private boolean isBetter(Vote v) {
        return context.isCandidate(v.leader()) && (proposal == null || v.isBetterThan(proposal));
    }

    /** Starts, keeps or cancels the finalize wait, or decides when every voter agrees. */
    private void checkProposal() {
        if (role != Role.LOOKING || proposal == null) {
            return;
        }
        if (roundVotes.allVotersBack(proposal)) {
            decide(proposal, "every voter backs it");
        } else if (!roundVotes.quorumBacks(proposal)) {
            finalizeTicksLeft = 0;
        } else if (finalizeTicksLeft == 0) {
            finalizeTicksLeft = config.finalizeWaitTicks();
        }
    }

    private void decide(Vote v, String why) {
        if (!candidate && v.leader().equals(self)) {
            // Only a stale vote can name it: from before this node lost its data (it must not
            // lead on an empty history) or before a change it is added by was in flight (the
            // nodes that missed the change cannot follow it). Keep looking: the voters settle
            // on a candidate.
            LOG.warn("peer {} {} and does not take the lead it was voted ({}); still looking",
                    self, abstaining ? "abstains" : "is not a voter of the committed membership",
                    v);
            proposal = null;
            finalizeTicksLeft = 0;
            return;
        }
        if (v.leader().equals(self)) {
            role = Role.LEADING;
        } else {
            role = observer ? Role.OBSERVING : Role.FOLLOWING;
        }
        proposal = v;
        settledVote = v;
        decision = v.leader();
        finalizeTicksLeft = 0;
        LOG.info("peer {} decided on leader {} in round {} as {}: {} ({})", self, v.leader(),
                round, role, why, v);
    }

    private void recordOwnVote() {
        if (!abstaining && proposal != null) {
            roundVotes.put(self, proposal, Role.LOOKING);
        }
    }

    /**
     * While looking, the version is the election's; once settled, the newest this node knows
     * (it may learn of a change while it follows), which is what a node joining must match.
     */
    private Notification current() {
        boolean abstains = context.abstains() || (stale && !observer);
        if (role == Role.LOOKING) {
            return new Notification(proposal != null ? proposal : ownVote, round, Role.LOOKING,
                    abstains, version);
        }
        return new Notification(settledVote, round, role, abstains,
                context.membershipVersion());
    }

    /** Sends our vote to every other voter (observers ask; they are not told unasked). */
    private void broadcast() {
        Notification n = current();
        for (PeerId voter : otherVoters) {
            context.send(voter, n);
        }
        backoff.restart();
    }

    private void reply(PeerId to) {
        context.send(to, current());
    }

    /** A voter answers a looking peer (voter or observer); an observer answers nobody. */
    private void answer(PeerId from, Notification n) {
        if (!observer && n.state() == Role.LOOKING) {
            reply(from);
        }
    }

    private void requireInit() {
        if (context == null) {
            throw new IllegalStateException("the election is used before init");
        }
    }

    private void requireOwnVote(Vote v) {
        if (v == null || !self.equals(v.leader())) {
            throw new IllegalArgumentException("peer " + self
                    + " must start an election with a vote for itself, got " + v);
        }
        String problem = NotificationCheck.epochProblem(v);
        if (problem != null) {
            throw new IllegalArgumentException("peer " + self + " has bad credentials: "
                    + problem);
        }
    }

    private String settledProblem(Role r, Vote leader) {
        if (r == null || r == Role.LOOKING || leader == null || leader.leader() == null) {
            return "a role other than LOOKING and a leader's vote are needed";
        }
        if (!outsider && observer != (r == Role.OBSERVING)) {
            return observer ? "an observer can only observe" : "a voter cannot observe";
        }
        if (!context.quorum().isVoter(leader.leader())) {
            return "the leader " + leader.leader() + " is not a voter";
        }
        if ((r == Role.LEADING) != leader.leader().equals(self)) {
            return "LEADING means leading oneself, FOLLOWING means following another";
        }
        // Looking peers would drop every answer carrying this vote, and never join.
        return NotificationCheck.epochProblem(leader);
    }

    @Override
    public String toString() {
        return "FastLeaderElection{peer " + self + ", " + role + ", round " + round + ", vote "
                + currentVote().orElse(null) + "}";
    }
}
