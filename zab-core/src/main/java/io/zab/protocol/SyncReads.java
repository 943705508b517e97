package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.SyncReply;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The leader's sync() requests (its own and those its learners forward), held until a quorum
 * answered a PING round sent after each (ZOOKEEPER-1675), and the PING rounds themselves: they
 * are numbered here, and every tick pings too. Single-threaded: the leader's, on the protocol
 * thread.
 */
final class SyncReads {
    private record SyncWait(long requestId, PeerId from, Zxid zxid, long round) {
    }

    private final ZabCore core;
    private final LeaderRole leader;
    private final PeerId self;
    private long pingRound;
    private final List<SyncWait> syncWaits = new ArrayList<>();

    SyncReads(ZabCore core, LeaderRole leader) {
        this.core = core;
        this.leader = leader;
        this.self = core.config().self();
    }

    /** The last PING round sent: a PINGACK of a later one answers no PING of ours. */
    long pingRound() {
        return pingRound;
    }

    void onSyncRead(long requestId) {
        if (!leader.broadcasting()) {
            core.complete(requestId, Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                    "leader not established yet"));
            return;
        }
        startSync(requestId, self);
    }

    void onSyncRequest(LearnerProgress p, long requestId) {
        if (leader.broadcasting() && p.state == LearnerProgress.State.BROADCAST) {
            startSync(requestId, p.id);
        } else {
            // Answered, so the learner's caller hears it now rather than at its deadline.
            LeaderRole.LOG.debug("node {}: sync {} from {} ({}) refused: not in broadcast with it",
                    self, requestId, p.id, p.state);
            core.send(p.id, new RequestRefused(requestId, RequestRefused.Reason.NOT_LEADER));
        }
    }

    /**
     * A sync point is everything proposed so far; it is served only after a quorum answered a
     * PING sent after the request, so a deposed leader cannot serve a stale read
     * (ZOOKEEPER-1675).
     */
    private void startSync(long requestId, PeerId from) {
        pingRound++;
        syncWaits.add(new SyncWait(requestId, from, core.lastLoggedZxid(), pingRound));
        pingAll();
        completeSyncs();
    }

    /** PINGs every learner in the current round. */
    void pingAll() {
        for (LearnerProgress p : leader.learnerProgress()) {
            core.send(p.id, new Ping(leader.epoch(), pingRound, core.lastCommittedZxid()));
        }
    }

    /** PINGs every learner in a new round (each tick in broadcast). */
    void pingNewRound() {
        pingRound++;
        pingAll();
    }

    void onPingAck(LearnerProgress p, PingAck pa) {
        if (pa.epoch() == leader.epoch() && pa.round() > p.pingAckRound) {
            p.pingAckRound = pa.round();
            completeSyncs();
        }
    }

    private boolean confirmed(long round) {
        return leader.quorumOf(p -> p.acking() && p.pingAckRound >= round);
    }

    /** Serves the syncs a quorum confirmed (ours once we delivered up to their point). */
    void completeSyncs() {
        Iterator<SyncWait> it = syncWaits.iterator();
        while (it.hasNext()) {
            SyncWait w = it.next();
            if (!confirmed(w.round())) {
                continue;
            }
            if (!w.from().equals(self)) {
                it.remove();
                LearnerProgress p = leader.learner(w.from());
                if (p != null) {
                    core.send(p.id, new SyncReply(w.requestId(), w.zxid()));
                }
            } else if (!w.zxid().isAfter(core.lastDeliveredZxid())) {
                it.remove();
                core.complete(w.requestId(), Outcome.synced(w.zxid()));
            }
        }
    }

    /** The leader steps down: our own syncs fail, learners' are dropped (they ask again). */
    void leave() {
        for (SyncWait w : syncWaits) {
            if (w.from().equals(self)) {
                core.complete(w.requestId(), Outcome.failed(Outcome.Kind.NOT_LEADER, null,
                        "stepped down before sync completed"));
            }
        }
        syncWaits.clear();
    }
}
