package io.zab.protocol;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.ElectionContext;
import io.zab.election.LeaderElection;
import io.zab.election.Vote;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The core's side of the {@link LeaderElection}: looking for a leader, the election's view of
 * this node ({@link ElectionContext}), taking the role its decision names, and the learners'
 * openings that arrived before this node had a role, replayed if it leads. Single-threaded:
 * the core's, on the protocol thread.
 */
final class Looking {
    private static final Logger LOG = ZabCore.LOG;

    private final ZabCore core;
    private final CoreConfig config;
    private final Memberships memberships;
    private final History history;
    private final Peers peers;
    private final LeaderElection election;
    private final ElectionContext context = new Context();
    /** Discovery openings that arrived while LOOKING, replayed if this node becomes leader. */
    private final Map<PeerId, Message> earlyInfos = new LinkedHashMap<>();

    Looking(ZabCore core, LeaderElection election, History history, Peers peers) {
        this.core = core;
        this.config = core.config();
        this.memberships = core.memberships();
        this.history = history;
        this.peers = peers;
        this.election = election;
    }

    /** Hands the election its view of this node and starts looking. */
    void start() {
        election.init(context);
        lookFor("start");
    }

    void lookFor(String reason) {
        LOG.info("node {}: LOOKING ({}), currentEpoch {}, last zxid {}{}", config.self(), reason,
                core.currentEpoch(), history.last(), peers.mayVote() ? "" : !peers.mayFollow()
                        ? "; removed from the membership: it takes no part any more"
                        : !memberships.newest().isVoter(config.self())
                                ? "; not a voter of " + memberships.newest()
                                : "; abstaining: joining an existing cluster blank, it votes"
                                        + " after its first sync");
        core.emit(new Action.RoleChanged(Role.LOOKING, core.currentEpoch(), null));
        earlyInfos.clear();
        election.lookForLeader(new Vote(config.self(), core.currentEpoch(), history.last()));
        check();
    }

    void onTick() {
        election.onTick();
    }

    void onNotification(PeerId from, Notification n) {
        if (core.roleState() == null && n.membership() != null && n.membership().version()
                .isAfter(memberships.committed().version())) {
            // A committed membership we missed (ZooKeeper's notifications carry the
            // config for this): a fact, taken as NEWLEADER's; we look again with it,
            // talking to its members and counting its quorum.
            LOG.info("node {}: peer {} has committed {}; looking again with it",
                    config.self(), from, n.membership());
            peers.adopt(n.membership());
            peers.announce();
            lookFor("learned of " + n.membership());
            return;
        }
        election.onNotification(from, n);
        check();
    }

    /** Takes the role the election decided on, if it decided. */
    void check() {
        Optional<PeerId> decided = election.takeDecision();
        if (decided.isEmpty()) {
            return;
        }
        PeerId leader = decided.get();
        RoleState role = core.roleState();
        if (role != null) {
            LOG.warn("node {}: election decided {} while in role {}; ignored", config.self(),
                    leader, role.role());
            return;
        }
        if (leader.equals(config.self())) {
            if (peers.isObserver() || !peers.mayVote()) {
                throw new IllegalStateException((peers.isObserver() ? "an observer"
                        : "an abstaining voter") + " was elected leader");
            }
            lead(leader);
        } else if (!peers.mayFollow()) {
            earlyInfos.clear();
            LOG.info("node {}: not following {}: this node is not a member of {}",
                    config.self(), leader, memberships.committed());
        } else {
            follow(leader);
        }
    }

    /** Leads (as {@code self}), answering the openings learners sent before we had a role. */
    void lead(PeerId self) {
        LeaderRole leading = new LeaderRole(core);
        core.enter(leading, Role.LEADING, self);
        Map<PeerId, Message> early = new LinkedHashMap<>(earlyInfos);
        earlyInfos.clear();
        early.forEach(leading::onMessage);
    }

    void follow(PeerId leader) {
        earlyInfos.clear();
        Role r = peers.isObserver() ? Role.OBSERVING : Role.FOLLOWING;
        core.enter(new FollowerRole(core, leader), r, leader);
    }

    /** This node took role {@code r} under {@code leader}: the election stops looking. */
    void settled(Role r, PeerId leader) {
        election.onSettled(r, new Vote(leader, core.currentEpoch(), history.last()));
    }

    /** A learner's opening, kept in case this node leads next. */
    void keepEarlyInfo(PeerId from, Message info) {
        earlyInfos.put(from, info);
    }

    /** The connection to {@code peer} broke: its opening goes with it. */
    void forget(PeerId peer) {
        earlyInfos.remove(peer);
    }

    /** A voter that may not vote yet (observers never vote and are not said to abstain). */
    boolean abstains() {
        return context.abstains();
    }

    private final class Context implements ElectionContext {
        @Override
        public PeerId self() {
            return config.self();
        }

        @Override
        public QuorumVerifier quorum() {
            return memberships.quorum();
        }

        @Override
        public Set<PeerId> observers() {
            return memberships.observers();
        }

        @Override
        public void send(PeerId to, Notification notification) {
            Membership committed = memberships.committed();
            if (!committed.version().equals(Zxid.ZERO)
                    && notification.membershipVersion().equals(committed.version())) {
                notification = notification.withMembership(committed);
            }
            core.send(to, notification);
        }

        /**
         * The committed membership's: nodes that saw a change proposed and nodes that did not
         * still count each other (each by its own quorum, joint while it saw one); a node that
         * missed a commit learns it from the notifications and looks again.
         */
        @Override
        public Zxid membershipVersion() {
            return memberships.committed().version();
        }

        @Override
        public boolean isCandidate(PeerId peer) {
            return memberships.committed().isVoter(peer);
        }

        @Override
        public boolean mayVote() {
            return peers.mayVote();
        }
    }
}
