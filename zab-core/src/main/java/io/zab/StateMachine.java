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
 *       {@link #restore} when the data directory holds a snapshot, else {@link #snapshot} once,
 *       to keep the state at zxid 0 to go back to after a storage failure;</li>
 *   <li>from {@code start()} on, on the node's delivery thread: {@link #deliver},
 *       {@link #snapshotView}, {@link #restore} (a snapshot from the leader, or a resume after
 *       a storage failure) and {@link #roleChanged};</li>
 *   <li>the {@link SnapshotWriter} returned by {@link #snapshotView} runs later on the node's
 *       snapshot thread, while delivery goes on.</li>
 * </ul>
 *
 * <p><b>Failures.</b> An exception thrown by {@link #deliver}, {@link #restore},
 * {@link #snapshot} or {@link #snapshotView} stops the node for good: the state machine can no
 * longer be trusted to match the log. {@code ZabNode.failure()} then names it, pending calls
 * fail and the rest of the ensemble carries on without this node. A txn the host cannot apply
 * should be turned into a no-op or a result value by {@code deliver}, not an exception, since
 * every member delivers the same txns. An exception from a {@link SnapshotWriter} only fails
 * that snapshot (logged; a later one is tried).
 */
public interface StateMachine {
    /**
     * Applies one committed txn. Called in zxid order with no gaps, on the leader and the
     * followers alike. The return value (or null) completes the local {@code submit} future of
     * this txn, so a compare-and-set can tell its caller whether it won. {@code txn} is
     * read-only and valid only during the call. Do not block here: every later txn and every
     * future of this node waits for it.
     */
    Object deliver(Zxid zxid, ByteBuffer txn);

    /** Writes the whole state, as of the last delivered txn, to {@code out}. */
    void snapshot(OutputStream out) throws IOException;

    /**
     * Hands over a consistent view of the state as of the last delivered txn, to be written
     * later by the node's snapshot thread while delivery goes on. Called on the delivery thread,
     * which waits only for this call; the returned writer runs on another thread and must not
     * touch the live state. The default serialises at once with {@link #snapshot} (so delivery
     * waits for the whole write); override it with a cheap immutable view (a copy-on-write or
     * persistent structure) to keep delivery going.
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
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces the whole state with one written by {@link #snapshot}. */
    void restore(InputStream in) throws IOException;

    /** Told whenever this node's role changes. */
    default void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
    }
}
