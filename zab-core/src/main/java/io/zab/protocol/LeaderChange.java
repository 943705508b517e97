package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.LearnerProgress.State;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.Takeover;
import io.zab.protocol.quorum.Tally;
import org.slf4j.Logger;

/**
 * What changes the leadership of this leader's quorum: a membership change being staged (until
 * its new voters caught up and it is proposed) and a leadership transfer (until TAKEOVER goes
 * out). They exclude each other: a change waits while a transfer runs, and a transfer is
 * refused while a change is in flight (the core checks both). Single-threaded: the leader's, on
 * the protocol thread.
 */
final class LeaderChange {
    private static final Logger LOG = LeaderRole.LOG;

    /**
     * A membership change being staged (the target is {@code Memberships.staging()}): it is
     * proposed once its new voters have acked everything up to {@code caughtUpTo}.
     */
    private record Change(PeerId origin, long requestId, long deadlineTick, Zxid caughtUpTo) {
    }

    private final ZabCore core;
    private final LeaderRole leader;
    private final Admission admission;
    private final PeerId self;
    /** The voter this leader is handing its leadership to, or null (leadership transfer). */
    private PeerId transferTarget;
    private Change change;

    LeaderChange(ZabCore core, LeaderRole leader, Admission admission) {
        this.core = core;
        this.leader = leader;
        this.admission = admission;
        this.self = core.config().self();
    }

    /** The voter this leader is handing its leadership to, or null. */
    PeerId transferTarget() {
        return transferTarget;
    }

    /** Stages the change the core put in {@code Memberships.staging()} (checked there). */
    void startChange(PeerId origin, long requestId, long deadlineTick) {
        change = new Change(origin, requestId, deadlineTick, core.lastLoggedZxid());
        maybeProposeChange();
    }

    /**
     * Proposes the staged change once every new voter, and a quorum of the target's voters,
     * have acked everything up to where the change was asked for (a voter added while behind
     * would make the new quorum wait for it: ZooKeeper's reconfig admits them the same way).
     * Observers being added need not have caught up; existing observers being promoted count
     * only once they follow as voters, after the commit.
     */
    private void maybeProposeChange() {
        if (change == null || leader.hasLeft() || !leader.broadcasting()) {
            return;
        }
        io.zab.Membership target = core.memberships().staging();
        io.zab.Membership committed = core.memberships().committed();
        Tally ready = new Tally(new io.zab.protocol.quorum.MajorityQuorum(
                target.voters().keySet()));
        ready.count(self);
        for (PeerId v : target.voters().keySet()) {
            LearnerProgress p = leader.learner(v);
            boolean caughtUp = p != null && p.state == State.BROADCAST && !p.observer
                    && !p.ackedZxid.isBefore(change.caughtUpTo());
            if (caughtUp) {
                ready.count(v);
            } else if (!committed.isVoter(v) && !committed.isObserver(v)) {
                return; // a new voter still catching up
            }
        }
        if (!ready.reached()) {
            return;
        }
        Zxid zxid = leader.nextZxid();
        if (zxid == null) {
            endChange(Outcome.failed(Outcome.Kind.REFUSED, self, "zxid counter exhausted;"
                    + " electing a new epoch, retry then"));
            leader.onCounterExhausted();
            return;
        }
        Change asked = change;
        change = null;
        LOG.info("node {}: proposing {} at {}", self, target, zxid);
        leader.proposeTxn(Txn.membershipChange(zxid, target), asked.origin(),
                asked.requestId());
    }

    /** Ends a staged change that was not proposed: nothing changed. */
    private void endChange(Outcome outcome) {
        core.memberships().unstage();
        if (change.origin().equals(self)) {
            core.complete(change.requestId(), outcome);
        } else {
            core.send(change.origin(), new RequestRefused(change.requestId(),
                    reasonOf(outcome.kind())));
        }
        change = null;
    }

    private static RequestRefused.Reason reasonOf(Outcome.Kind kind) {
        return switch (kind) {
            case REFUSED -> RequestRefused.Reason.CHANGE_REFUSED;
            case CHANGE_IN_FLIGHT -> RequestRefused.Reason.CHANGE_IN_FLIGHT;
            default -> RequestRefused.Reason.NOT_LEADER;
        };
    }

    /** A learner's forwarded change: staged as ours, or refused at once. */
    void onChangeRequest(LearnerProgress p, io.zab.protocol.message.ChangeRequest r) {
        Outcome refused = p.state != State.BROADCAST ? Outcome.failed(Outcome.Kind.NOT_LEADER,
                null, "learner not in broadcast") : core.startChange(p.id, r.requestId(),
                        r.target(), r.timeoutTicks());
        if (refused != null) {
            core.send(p.id, new RequestRefused(r.requestId(), reasonOf(refused.kind())));
        }
    }

    private void expireChange(long now) {
        if (change == null || now < change.deadlineTick()) {
            return;
        }
        io.zab.Membership target = core.memberships().staging();
        java.util.Set<PeerId> behind = new java.util.TreeSet<>();
        for (PeerId v : target.voters().keySet()) {
            LearnerProgress p = leader.learner(v);
            if (!v.equals(self) && (p == null || p.state != State.BROADCAST
                    || p.ackedZxid.isBefore(change.caughtUpTo()))) {
                behind.add(v);
            }
        }
        LOG.warn("node {}: membership change to {} refused: voters {} did not catch up within"
                + " the timeout", self, target, behind);
        endChange(Outcome.failed(Outcome.Kind.REFUSED, self, "voters " + behind + " were not"
                + " connected and caught up within the timeout; nothing changed"));
    }

    /**
     * A leader the membership no longer has as a voter names the new voter in broadcast that
     * holds most of its log, and hands over to it; with none, it steps down (an election
     * follows). Returns whether it named one.
     */
    private boolean pickSuccessor() {
        io.zab.Membership committed = core.memberships().committed();
        PeerId next = null;
        for (LearnerProgress p : leader.learnerProgress()) {
            if (committed.isVoter(p.id) && p.state == State.BROADCAST && !p.observer
                    && (next == null
                            || p.ackedZxid.isAfter(leader.learner(next).ackedZxid))) {
                next = p.id;
            }
        }
        if (next == null) {
            core.stepDown("no longer a voter of " + committed + ", and no voter of it in"
                    + " broadcast to hand over to");
            return false;
        }
        LOG.info("node {}: no longer a voter of {}; handing leadership to {}", self, committed,
                next);
        transferTarget = next;
        return true;
    }

    /**
     * Starts handing leadership to {@code target} (a voter other than us, checked by the core):
     * from now on no write is admitted, and those held for room go back to wait for the next
     * leader (local ones) or are refused (forwarded ones: never applied, the follower's caller
     * retries). Returns why it cannot start, or null.
     */
    String startTransfer(PeerId target) {
        LearnerProgress p = leader.learner(target);
        if (p == null || p.observer || p.state != State.BROADCAST) {
            return "peer " + target + " is not a follower connected to us in broadcast"
                    + (p == null ? "" : " (" + p.phase() + ")");
        }
        transferTarget = target;
        admission.handHeldToNextLeader();
        maybeHandOver();
        return null;
    }

    /** Gives up a transfer that has not handed over yet; true if one was running. */
    boolean abortTransfer() {
        if (leader.hasLeft() || transferTarget == null) {
            return false;
        }
        transferTarget = null;
        admission.admitAwaiting();
        return true;
    }

    /**
     * Hands over once the target holds durably everything we logged, and so do we, and it is
     * committed (a quorum holds it): then the target has every committed txn and no txn of
     * ours is left undecided. TAKEOVER goes after the last COMMIT on each link (they are FIFO),
     * to the target first; then this node stops leading and follows the target.
     */
    void maybeHandOver() {
        maybeProposeChange();
        if (transferTarget == null || leader.hasLeft() || !leader.broadcasting()) {
            return;
        }
        LearnerProgress target = leader.learner(transferTarget);
        Zxid last = core.lastLoggedZxid();
        if (target == null || target.state != State.BROADCAST || !target.ackedZxid.equals(last)
                || !core.lastSynced().equals(last) || !core.lastCommittedZxid().equals(last)) {
            return;
        }
        Takeover takeover = new Takeover(leader.epoch(), last, transferTarget);
        core.send(transferTarget, takeover);
        for (LearnerProgress p : leader.learnerProgress()) {
            if (!p.id.equals(transferTarget) && p.state == State.BROADCAST) {
                core.send(p.id, takeover);
            }
        }
        core.handOver(transferTarget, "handed leadership of epoch " + leader.epoch() + " over at "
                + last);
    }

    /**
     * The membership changed (learners it dropped are gone already): a leader that is no
     * longer a voter hands its leadership to the new voter that holds most of its log. False
     * when it stepped down instead.
     */
    boolean onMembershipChanged() {
        io.zab.Membership committed = core.memberships().committed();
        if (!committed.isVoter(self) && core.memberships().pending() == null
                && transferTarget == null) {
            if (!pickSuccessor()) {
                return false;
            }
            admission.handHeldToNextLeader();
        }
        return true;
    }

    /**
     * A tick in broadcast: a staged change whose time is up is refused, and a leader removed
     * from the voters names another successor if the one it named is gone, and hands over
     * once it can. False when this node leads no more (it stepped down or handed over).
     */
    boolean onTick(long now) {
        expireChange(now);
        if (transferTarget != null && !core.memberships().committed().isVoter(self)) {
            LearnerProgress t = leader.learner(transferTarget);
            if ((t == null || t.state != State.BROADCAST) && !pickSuccessor()) {
                return false; // the successor we named is gone: another, or an election
            }
            maybeHandOver();
            if (leader.hasLeft()) {
                return false;
            }
        }
        return true;
    }

    /** The leader steps down: a change it did not propose ends, and nothing changed. */
    void leave() {
        if (change != null) {
            endChange(Outcome.failed(Outcome.Kind.NOT_LEADER, null, "the leader stepped down"
                    + " before the membership change was proposed; nothing changed"));
        }
    }
}
