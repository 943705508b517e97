package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.LeaderElection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One node's Zab protocol as a deterministic state machine, in the style of etcd's RawNode: the
 * driver calls {@link #handle} for each {@link Event} and then {@link #drainActions} to learn what
 * to do. No I/O, no threads, no clock.
 *
 * <p>Not thread-safe: one thread (the protocol thread, or the simulator) owns it.
 */
public final class ZabCore {
    private final CoreConfig config;
    private final List<Action> actions = new ArrayList<>();

    public ZabCore(CoreConfig config, PersistentState state, LeaderElection election) {
        this.config = config;
    }

    public void handle(Event event) {
        throw new UnsupportedOperationException("not yet");
    }

    public List<Action> drainActions() {
        List<Action> out = new ArrayList<>(actions);
        actions.clear();
        return out;
    }

    public CoreConfig config() {
        return config;
    }

    public Role role() {
        return Role.LOOKING;
    }

    /** The epoch this node follows or leads in; its currentEpoch while looking. */
    public long epoch() {
        return 0;
    }

    public Optional<PeerId> leader() {
        return Optional.empty();
    }

    /** True for a leader that is established and a learner that got UPTODATE. */
    public boolean isBroadcasting() {
        return false;
    }

    public long acceptedEpoch() {
        return 0;
    }

    public long currentEpoch() {
        return 0;
    }

    public Zxid lastLoggedZxid() {
        return Zxid.ZERO;
    }

    public Zxid lastCommittedZxid() {
        return Zxid.ZERO;
    }

    /** The last zxid handed to the delivery pipeline (it may not have reached the host yet). */
    public Zxid lastDeliveredZxid() {
        return Zxid.ZERO;
    }
}
