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

    /** Replaces the whole state with one written by {@link #snapshot}. */
    void restore(InputStream in) throws IOException;

    /** Told whenever this node's role changes. */
    default void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
    }
}
