package io.zab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The host's replicated state: the one interface a host implements.
 *
 * <p><b>Threads.</b> zab calls these methods one at a time, never concurrently, so an
 * implementation needs no locking against zab (it may against its own readers):
 * <ul>
 *   <li>while the node is built, on the thread that calls {@code ZabNode.Builder.build()}:
 *       {@link #restore} when the data directory holds a snapshot, else (with a data directory)
 *       {@link #snapshot} once, to keep the state at zxid 0 to go back to after a storage
 *       failure; without a data directory, neither;</li>
 *   <li>from {@code start()} on, on the node's delivery thread: {@link #deliver},
 *       {@link #snapshotView}, {@link #restore} (a snapshot from the leader, or a resume after
 *       a storage failure) and {@link #roleChanged};</li>
 *   <li>the {@link SnapshotWriter} returned by {@link #snapshotView} runs later on the node's
 *       snapshot thread, while delivery goes on.</li>
 * </ul>
 *
 * <p><b>Failures.</b> An exception thrown by {@link #deliver}, {@link #restore},
 * {@link #snapshot}, {@link #snapshotView} or {@link #roleChanged} stops the node for good: the
 * state machine can no longer be trusted to match the log. {@code ZabNode.failure()} then names
 * it, pending calls fail and the rest of the ensemble carries on without this node. (While the
 * node is built, {@code build()} throws it instead.) A txn the host cannot apply should be
 * turned into a no-op or a result value by {@code deliver}, not an exception, since every
 * member delivers the same txns. An exception from a {@link SnapshotWriter} only fails that
 * snapshot (logged; a later one is tried).
 */
public interface StateMachine {
    /**
     * Applies one committed txn. Called in zxid order, on every member (leader, followers and
     * observers), with no gaps but one: a membership-change txn is zab's, not the host's, so it
     * is never delivered here and its zxid is skipped ({@link RoleListener#onMembershipChanged}
     * reports it). The return value (or null) completes the local {@code submit}
     * future of this txn, so a compare-and-set can tell its caller whether it won. {@code txn}
     * is read-only and valid only during the call. Do not block here: every later txn and
     * every future of this node waits for it.
     *
     * @param zxid the txn's zxid
     * @param txn the txn's bytes, as given to {@code submit}
     * @return the value for the submitter's {@link SubmitResult}, or null
     */
    Object deliver(Zxid zxid, ByteBuffer txn);

    /**
     * Writes the whole state, as of the last delivered txn, to {@code out}.
     *
     * @param out where to write
     * @throws IOException if writing fails
     */
    void snapshot(OutputStream out) throws IOException;

    /**
     * Hands over a consistent view of the state as of the last delivered txn, to be written
     * later by the node's snapshot thread while delivery goes on. Called on the delivery thread,
     * which waits only for this call; the returned writer runs on another thread and must not
     * touch the live state. The default serialises at once with {@link #snapshot} (so delivery
     * waits for the whole write); override it with a cheap immutable view (a copy-on-write or
     * persistent structure) to keep delivery going.
     *
     * @return a writer of the state as it is now
     * @throws IOException if the view cannot be taken
     */
    default SnapshotWriter snapshotView() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        snapshot(bytes);
        byte[] data = bytes.toByteArray();
        return out -> out.write(data);
    }

    /** A consistent view of the state that can write itself, on any thread. */
    @FunctionalInterface
    interface SnapshotWriter {
        /**
         * Writes the view, in the form {@link StateMachine#restore} reads, on the node's
         * snapshot thread.
         *
         * @param out where to write
         * @throws IOException if writing fails: that snapshot is dropped (logged)
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Replaces the whole state with one written by {@link #snapshot} (or a
     * {@link SnapshotWriter}), here or on another member.
     *
     * @param in the snapshot's bytes; zab closes it
     * @throws IOException if reading fails
     */
    void restore(InputStream in) throws IOException;

    /**
     * Told whenever this node's role changes, as a {@link RoleListener} is; does nothing by
     * default.
     *
     * @param role the new role
     * @param epoch the epoch this node was in (see {@link RoleListener#roleChanged})
     * @param leader the elected leader (this node's own id when LEADING); empty when LOOKING
     */
    default void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
    }
}
