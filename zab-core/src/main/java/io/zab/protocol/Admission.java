package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.LearnerProgress.State;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.RequestRefused;
import java.util.ArrayDeque;

/**
 * The leader's in-flight budget: writes (its own and those its learners forward) are proposed
 * while it has room, held within their wait while it has none, or refused (never applied),
 * with the reason the caller is told. The budget in use is our proposals of this epoch that our
 * state machine has not applied. Single-threaded: the leader's, on the protocol thread.
 */
final class Admission {
    private final ZabCore core;
    private final LeaderRole leader;
    private final PeerId self;
    /** Writes (local and forwarded) waiting, within their wait, for room in the budget. */
    private final HeldRequests awaitingRoom = new HeldRequests();
    /** Our proposals of this epoch that our state machine has not applied: the budget in use. */
    private final ArrayDeque<Txn> inflight = new ArrayDeque<>();
    private long inflightBytes;

    Admission(ZabCore core, LeaderRole leader) {
        this.core = core;
        this.leader = leader;
        this.self = core.config().self();
    }

    /** Payload bytes proposed and not yet applied here. */
    long inflightBytes() {
        return inflightBytes;
    }

    /** A txn of ours was proposed: it takes room in the budget until it is applied here. */
    void charge(Txn txn) {
        inflight.addLast(txn);
        inflightBytes += txn.data().length;
    }

    /** A write of our host: refused while we do not take writes, else admitted. */
    void onSubmit(long requestId, byte[] payload, int waitTicks) {
        if (!leader.broadcasting()) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                    "leader not established yet"));
            return;
        }
        PeerId transferTarget = leader.transferTarget();
        if (transferTarget != null) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, transferTarget,
                    "leadership is being handed to " + transferTarget + "; never applied,"
                            + " retry once it leads"));
            return;
        }
        admit(requestId, payload, self, waitTicks);
    }

    /** A write a learner forwarded: refused (NOT_LEADER, TOO_LARGE), or admitted. */
    void onRequest(LearnerProgress p, Request r) {
        if (!leader.broadcasting() || p.state != State.BROADCAST
                || leader.transferTarget() != null) {
            refuse(r.requestId(), p.id, RequestRefused.Reason.NOT_LEADER, "");
        } else if (r.payload().length > core.config().maxTxnBytes()) {
            refuse(r.requestId(), p.id, RequestRefused.Reason.TOO_LARGE, "");
        } else {
            admit(r.requestId(), r.payload(), p.id, r.waitTicks());
        }
    }

    /**
     * Proposes a write if the in-flight budget has room and nothing waits before it; otherwise
     * holds it for up to {@code waitTicks}, or refuses it (never applied).
     */
    private void admit(long requestId, byte[] payload, PeerId origin, int waitTicks) {
        if (awaitingRoom.isEmpty() && hasRoom(payload.length) && !changeInFlight()) {
            leader.propose(payload, origin, requestId);
        } else if (waitTicks > 0) {
            awaitingRoom.add(new HeldRequests.Held(requestId, payload, origin,
                    core.ticks() + waitTicks));
        } else {
            refuse(requestId, origin, RequestRefused.Reason.OVERLOADED, changeInFlight()
                    ? "a membership change is being committed; retry in a moment"
                    : inflight.size() + " txns (" + inflightBytes + " bytes) in flight, "
                            + awaitingRoom.size() + " waiting; retry later");
        }
    }

    /**
     * A membership change is proposed and not committed: nothing is proposed after it until it
     * commits. A txn proposed after it would commit, once the change did, by the new voters
     * alone, and they are not candidates for election until they know of the commit (only
     * voters of the committed membership are: ElectionContext#isCandidate); a txn only they
     * hold could be lost. Writes wait for one commit round, as for room in the budget.
     */
    private boolean changeInFlight() {
        return core.memberships().pending() != null;
    }

    /** Room for a txn of {@code bytes}; one txn always fits when nothing is in flight. */
    private boolean hasRoom(int bytes) {
        CoreConfig c = core.config();
        return inflight.isEmpty() || (inflight.size() < c.proposalsInflightMax()
                && inflightBytes + bytes <= c.proposalsInflightMaxBytes());
    }

    /** Proposes held writes, in order, while the budget has room. */
    void admitAwaiting() {
        while (!leader.hasLeft() && leader.admitting() && !awaitingRoom.isEmpty()
                && hasRoom(awaitingRoom.peek().bytes()) && !changeInFlight()) {
            HeldRequests.Held h = awaitingRoom.poll();
            leader.propose(h.payload(), h.origin(), h.requestId());
        }
    }

    /** Answers a write that will never be proposed: the caller learns it was never applied. */
    private void refuse(long requestId, PeerId origin, RequestRefused.Reason reason,
            String detail) {
        if (!origin.equals(self)) {
            core.send(origin, new RequestRefused(requestId, reason));
            return;
        }
        Outcome.Kind kind = reason == RequestRefused.Reason.OVERLOADED ? Outcome.Kind.OVERLOADED
                : reason == RequestRefused.Reason.TOO_LARGE ? Outcome.Kind.TOO_LARGE
                        : Outcome.Kind.NOT_LEADER;
        core.complete(requestId, Outcome.failed(kind, self, detail));
    }

    /** Our state machine applied more: what it applied leaves the budget. */
    void onApplied() {
        Zxid applied = core.appliedZxid();
        while (!inflight.isEmpty() && !inflight.peekFirst().zxid().isAfter(applied)) {
            inflightBytes -= inflight.pollFirst().data().length;
        }
        admitAwaiting();
    }

    /**
     * Writes held for room go to the next leader: ours wait for it (within their wait), a
     * learner's are refused NOT_LEADER so that its caller retries there; never applied here.
     */
    void handHeldToNextLeader() {
        for (HeldRequests.Held h : awaitingRoom.drain()) {
            if (h.origin().equals(self)) {
                core.holdForNextLeader(h);
            } else {
                core.send(h.origin(), new RequestRefused(h.requestId(),
                        RequestRefused.Reason.NOT_LEADER));
            }
        }
    }

    /** Refuses the writes whose wait for room ran out before tick {@code now}. */
    void expire(long now) {
        for (HeldRequests.Held h : awaitingRoom.expire(now)) {
            refuse(h.requestId(), h.origin(), RequestRefused.Reason.OVERLOADED, "no room in the"
                    + " in-flight budget within the wait (" + inflight.size() + " txns, "
                    + inflightBytes + " bytes in flight); retry later");
        }
    }
}
