package io.zab.protocol;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import org.slf4j.Logger;

/**
 * The leadership transfers and membership changes asked of this node: checked here and
 * refused at once, forwarded to the leader by a follower, or started on this leader (whose
 * {@link LeaderChange} runs them); and the transfer this node was asked for, pending until
 * the target leads or its time is up. Single-threaded: the core's, on the protocol thread.
 */
final class ChangeRequests {
    private static final Logger LOG = ZabCore.LOG;

    /** A leadership transfer this node was asked for: pending until the target leads. */
    private record Transfer(long requestId, PeerId target, long deadlineTick) {
    }

    private final ZabCore core;
    private final CoreConfig config;
    private final Memberships memberships;
    private Transfer transfer;

    ChangeRequests(ZabCore core) {
        this.core = core;
        this.config = core.config();
        this.memberships = core.memberships();
    }

    /**
     * Starts handing leadership to {@code target}, or refuses at once. Refusals change
     * nothing: this node must lead in broadcast, the target must be another voter, in broadcast
     * with us, and no other transfer may run.
     */
    void onTransferLeadership(long requestId, PeerId target, int timeoutTicks) {
        RoleState role = core.roleState();
        String refusal;
        if (!(role instanceof LeaderRole leading) || !role.broadcasting()) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, core.leaderHint(),
                    "only an established leader transfers its leadership; this node is "
                            + core.describe()));
            return;
        } else if (transfer != null) {
            refusal = "a transfer to " + transfer.target() + " is already running";
        } else if (memberships.pending() != null || memberships.staging() != null) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.CHANGE_IN_FLIGHT, config.self(),
                    "a membership change is in flight (" + memberships + ")"));
            return;
        } else if (target.equals(config.self())) {
            refusal = "this node leads already";
        } else if (memberships.committed().isObserver(target)) {
            refusal = "peer " + target + " is an observer; only a voter can lead";
        } else if (!memberships.committed().isVoter(target)) {
            refusal = "peer " + target + " is not a member of the ensemble";
        } else {
            refusal = leading.startTransfer(target);
        }
        if (refusal != null) {
            LOG.info("node {}: refusing to transfer leadership to {}: {}", config.self(), target,
                    refusal);
            core.complete(requestId, Outcome.failed(Outcome.Kind.REFUSED, config.self(), refusal));
            return;
        }
        LOG.info("node {}: transferring leadership to {} (within {} ticks); writes are refused"
                + " meanwhile", config.self(), target, timeoutTicks);
        transfer = new Transfer(requestId, target, core.ticks() + timeoutTicks);
    }

    /**
     * Starts a membership change on this leader, or refuses it at once (nothing changed): this
     * node must lead in broadcast, no other change or transfer may be in flight, and the target
     * must differ from the committed membership.
     */
    void onChangeMembership(long requestId, Membership target, int timeoutTicks) {
        RoleState role = core.roleState();
        if (role instanceof FollowerRole following && role.broadcasting()) {
            following.forwardChange(requestId, target, timeoutTicks);
            return;
        }
        Outcome refused = startChange(config.self(), requestId, target, timeoutTicks);
        if (refused != null) {
            core.complete(requestId, refused);
        }
    }

    /**
     * Stages a change asked by {@code origin} (this node, or a learner that forwarded it) on
     * this leader; returns why it is refused at once (nothing changed), or null.
     */
    Outcome startChange(PeerId origin, long requestId, Membership target, int timeoutTicks) {
        RoleState role = core.roleState();
        if (!(role instanceof LeaderRole leading) || !role.broadcasting()) {
            return Outcome.failed(Outcome.Kind.NOT_LEADER, core.leaderHint(),
                    "only an established leader changes the membership; this node is "
                            + core.describe());
        }
        if (transfer != null || memberships.pending() != null
                || memberships.staging() != null || leading.transferring()) {
            return Outcome.failed(Outcome.Kind.CHANGE_IN_FLIGHT, config.self(),
                    transfer != null || leading.transferring() ? "a leadership transfer is"
                            + " running" : "a membership change is in flight ("
                            + memberships + ")");
        }
        Membership committed = memberships.committed();
        if (!target.version().equals(Zxid.ZERO)
                && !target.version().equals(committed.version())) {
            // Built from a membership another change has replaced since: applying it would
            // undo that change (a compare-and-set on the version).
            return Outcome.failed(Outcome.Kind.REFUSED, config.self(), "the target was built"
                    + " from membership " + target.version() + " but " + committed
                    + " is committed now; build it again from that one");
        }
        if (target.sameMembers(committed)) {
            return Outcome.failed(Outcome.Kind.REFUSED, config.self(),
                    "the membership is that already (" + committed + ")");
        }
        LOG.info("node {}: changing the membership from {} to voters {} observers {} for {}"
                + " (new members catch up first, within {} ticks)", config.self(),
                memberships.committed(), target.voters().keySet(), target.observers().keySet(),
                origin, timeoutTicks);
        memberships.stage(target.withVersion(Zxid.ZERO));
        leading.startChange(origin, requestId, core.ticks() + timeoutTicks);
        return null;
    }

    /**
     * Ends a transfer once the target is seen leading in broadcast (this node, the old leader,
     * follows it by then), or once its time is up; a leader still waiting for the target to
     * catch up then takes writes again.
     */
    void check() {
        if (transfer == null) {
            return;
        }
        RoleState role = core.roleState();
        PeerId target = transfer.target();
        if (role != null && !(role instanceof LeaderRole) && role.broadcasting()
                && role.leader().filter(target::equals).isPresent()) {
            LOG.info("node {}: leadership transferred to {}", config.self(), target);
            core.complete(transfer.requestId(), Outcome.transferred(target));
            transfer = null;
        } else if (core.ticks() >= transfer.deadlineTick()) {
            String where = role instanceof LeaderRole leading && leading.abortTransfer()
                    ? "; this node still leads and takes writes again" : "";
            LOG.warn("node {}: leadership transfer to {} timed out{}", config.self(), target,
                    where);
            core.complete(transfer.requestId(), Outcome.failed(Outcome.Kind.TIMED_OUT,
                    core.leaderHint(), "peer " + target + " was not seen leading within the"
                            + " timeout" + where));
            transfer = null;
        }
    }
}
