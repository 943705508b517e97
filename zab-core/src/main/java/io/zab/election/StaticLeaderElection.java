package io.zab.election;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.protocol.message.Notification;
import java.util.Optional;

/**
 * An election that always decides the same, configured leader at once and sends nothing: for
 * conversation tests of the core, where the test plays every other node.
 */
public final class StaticLeaderElection implements LeaderElection {
    private final PeerId leader;
    private PeerId decision;

    public StaticLeaderElection(PeerId leader) {
        this.leader = leader;
    }

    @Override
    public void init(ElectionContext context) {
    }

    @Override
    public void lookForLeader(Vote self) {
        decision = leader;
    }

    @Override
    public void onNotification(PeerId from, Notification notification) {
    }

    @Override
    public void onTick() {
    }

    @Override
    public void onSettled(Role role, Vote leaderVote) {
    }

    @Override
    public Optional<PeerId> takeDecision() {
        PeerId d = decision;
        decision = null;
        return Optional.ofNullable(d);
    }
}
