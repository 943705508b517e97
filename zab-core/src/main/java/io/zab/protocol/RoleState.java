package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.message.Message;
import java.util.Optional;

/** The protocol state of one role (leading, or following/observing) between two elections. */
interface RoleState {
    Role role();

    long epoch();

    Optional<PeerId> leader();

    boolean broadcasting();

    /**
     * Whether this role takes writes now: in broadcast, and (for a leader) not handing its
     * leadership over. Local requests that may wait are held by the core while it does not.
     */
    default boolean admitting() {
        return broadcasting();
    }

    void start();

    void onMessage(PeerId from, Message message);

    void onTick();

    /** Messages from these peers arrived, perhaps not handled yet ({@link Event.Heard}). */
    void onHeard(java.util.Set<PeerId> peers);

    void onPersisted();

    void onDisconnected(PeerId peer);

    /** A write from the host; it may wait {@code waitTicks} for room (0: refuse at once). */
    void onSubmit(long requestId, byte[] payload, int waitTicks);

    /** The state machine applied more ({@link ZabCore#appliedZxid}). */
    void onApplied();

    void onSyncRead(long requestId);

    /** A snapshot asked for by TakeSnapshot is kept (leaders only). */
    void onSnapshotReady(PeerId learner, Zxid zxid, long size, int crc);

    /** A snapshot for a learner could not be taken or read (leaders only). */
    default void onSnapshotFailed(PeerId learner, Zxid zxid, String reason) {
    }

    /** A part of a kept snapshot was read for a learner (leaders only). */
    default void onSnapshotChunk(PeerId learner, Zxid zxid, long offset, byte[] data) {
    }

    /** Txns read from the log for a learner (leaders only; {@link Event.LogRead}). */
    default void onLogRead(PeerId learner, Zxid after, java.util.List<Txn> txns) {
    }

    /** A read of the log for a learner failed (leaders only; {@link Event.LogReadFailed}). */
    default void onLogReadFailed(PeerId learner, Zxid after, String reason) {
    }

    /**
     * The oldest zxid the history must keep txns after (a snapshot being sent: its learner gets
     * the txns after it next), or null.
     */
    default Zxid historyPin() {
        return null;
    }

    /** Where this role stands, in a few words for an operator. */
    String describe();

    /** What a leader knows of its learners (empty for other roles). */
    default java.util.Map<PeerId, io.zab.LearnerStatus> learners() {
        return java.util.Map.of();
    }

    /** Payload bytes proposed and not yet applied here (a leader's in-flight budget in use). */
    default long inflightBytes() {
        return 0;
    }

    /**
     * Fails what this role had in flight (local requests it held but never proposed go back to
     * {@link ZabCore#holdForNextLeader}); the core is about to look for a leader.
     */
    void leave();

    /**
     * What the node knows of its membership changed (a change seen, committed, truncated, or
     * learned from a leader), after the event's other effects: quorums are counted anew.
     */
    default void onMembershipChanged() {
    }
}
