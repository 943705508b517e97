package io.zab.protocol;

import io.zab.Zxid;
import io.zab.protocol.Action.RequestProposed;

/**
 * This node's host requests from arrival to outcome: held (within their wait) until a leader is
 * in broadcast, handed to the role, then bound to their txn until it is delivered or the
 * leadership changes under it. Requests a role holds for room in its own budget live there.
 * Single-threaded: the core's, on the protocol thread.
 */
final class LocalRequests {
    private final ZabCore core;
    private final CoreConfig config;
    /** Host requests bound to a txn and not yet delivered. */
    private final BoundRequests awaitingDelivery = new BoundRequests();
    /** Local requests waiting (within their wait) for a leader in broadcast. */
    private final HeldRequests awaitingLeader = new HeldRequests();

    LocalRequests(ZabCore core) {
        this.core = core;
        this.config = core.config();
    }

    void onSubmit(long requestId, byte[] payload, int waitTicks) {
        RoleState role = core.roleState();
        if (payload.length > config.maxTxnBytes()) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.TOO_LARGE, core.leaderHint(),
                    "txn of " + payload.length + " bytes exceeds maxTxnBytes "
                            + config.maxTxnBytes()));
        } else if (mustAwaitLeader(waitTicks)) {
            awaitingLeader.add(new HeldRequests.Held(requestId, payload, config.self(),
                    core.ticks() + waitTicks));
        } else if (role == null) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, null, noLeader()));
        } else {
            role.onSubmit(requestId, payload, waitTicks);
        }
    }

    void onSyncRead(long requestId, int waitTicks) {
        RoleState role = core.roleState();
        if (mustAwaitLeader(waitTicks)) {
            awaitingLeader.add(new HeldRequests.Held(requestId, null, config.self(),
                    core.ticks() + waitTicks));
        } else if (role == null) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, null, noLeader()));
        } else {
            role.onSyncRead(requestId);
        }
    }

    /**
     * Why a request finds no leader here. A node the committed membership no longer holds will
     * not find one: its caller should go to a member, not retry here.
     */
    private String noLeader() {
        io.zab.Membership m = core.membership();
        if (!m.contains(config.self())) {
            return "no leader: this node is not a member of " + m + "; send requests to a member";
        }
        return "no leader: this node is looking for one";
    }

    /**
     * A request that may wait is held while there is no leader in broadcast, or behind one
     * held.
     */
    private boolean mustAwaitLeader(int waitTicks) {
        RoleState role = core.roleState();
        return waitTicks > 0 && (!awaitingLeader.isEmpty() || role == null
                || !role.admitting());
    }

    /** Hands held requests, in order, to a role in broadcast. */
    void releaseAwaitingLeader() {
        // The role is read anew for each: handing a request over may change it.
        while (!awaitingLeader.isEmpty() && core.roleState() != null
                && core.roleState().admitting()) {
            HeldRequests.Held h = awaitingLeader.poll();
            if (h.payload() == null) {
                core.roleState().onSyncRead(h.requestId());
            } else {
                core.roleState().onSubmit(h.requestId(), h.payload(),
                        Math.max(1, h.ticksLeft(core.ticks())));
            }
        }
    }

    void expireAwaitingLeader() {
        for (HeldRequests.Held h : awaitingLeader.expire(core.ticks())) {
            core.complete(h.requestId(), Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                    "no leader in broadcast within the wait (" + (core.roleState() == null
                            ? "this node is looking for one" : "leader " + core.leaderHint()
                                    + " is not in broadcast yet") + ")"));
        }
    }

    /**
     * A local request a leader held for room but never proposed, handed back as it steps down:
     * it waits for the next leader within what is left of its wait.
     */
    void holdForNextLeader(HeldRequests.Held h) {
        awaitingLeader.add(h);
    }

    /** Local requests waiting for a leader in broadcast. */
    int awaitingLeader() {
        return awaitingLeader.size();
    }

    void bind(long requestId, Zxid zxid) {
        awaitingDelivery.bind(zxid, requestId);
        core.emit(new RequestProposed(requestId, zxid));
    }

    /** The txns up to {@code upTo} were handed to the delivery pipeline with their requests. */
    void delivered(Zxid upTo) {
        awaitingDelivery.removeUpTo(upTo, requestId -> { });
    }

    /**
     * The txns up to {@code upTo} came in a restored snapshot: committed, but their results
     * were computed elsewhere; the caller learns no more than that.
     */
    void restored(Zxid upTo) {
        awaitingDelivery.removeUpTo(upTo, requestId -> core.complete(requestId,
                Outcome.failed(Outcome.Kind.OUTCOME_UNKNOWN, core.leaderHint(),
                        "applied here by restoring a snapshot that holds it; its result was not"
                                + " computed on this node (read it back)")));
    }

    /**
     * The role was left: a txn known committed (up to {@code committed}) is settled, its request
     * waits for its delivery; the others' outcome is unknown.
     */
    void roleLeft(Zxid committed, String reason) {
        awaitingDelivery.removeAfter(committed, requestId -> core.complete(requestId,
                Outcome.failed(Outcome.Kind.OUTCOME_UNKNOWN, null,
                        "leadership changed before the txn was delivered: " + reason)));
    }
}
