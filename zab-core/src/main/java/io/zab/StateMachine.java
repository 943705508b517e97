package io.zab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The host's replicated state. Every method is called on the node's single delivery thread, never
 * on the protocol thread, so an implementation needs no locking against zab (it may against its
 * own readers).
 */
public interface StateMachine {
    /**
     * Applies one committed txn. Called in zxid order with no gaps, on the leader and the
     * followers alike. The return value (or null) completes the local {@code submit} future of
     * this txn, so a compare-and-set can tell its caller whether it won.
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
