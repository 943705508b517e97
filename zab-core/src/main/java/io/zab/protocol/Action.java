package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.protocol.message.Message;
import java.util.List;

/**
 * What the core asks its driver to do. Three ordered pipelines:
 * <ul>
 *   <li>{@link Send}: to the transport, per peer in order;</li>
 *   <li>{@link StorageAction}: to the log writer, in {@code seq} order. Durability is prefix
 *       durable: a storage action may be durable only if every earlier one is, so a writer
 *       forces the log before it writes an epoch or a snapshot. When every action up to
 *       {@code seq} is durable the driver posts {@link Event.Persisted}. {@link ReadLog} and
 *       {@link PurgeLog} go to the same queue, in the order asked, unnumbered.</li>
 *   <li>{@link DeliveryAction}: to the delivery thread, in order; that is where host code
 *   runs.</li>
 * </ul>
 */
public sealed interface Action {
    record Send(PeerId to, Message message) implements Action {
    }

    record RoleChanged(Role role, long epoch, PeerId leader) implements Action {
    }

    /**
     * Close the connection to {@code peer}: it sent a message no honest peer sends (a field out
     * of the range its role may send, or a message out of its place), which the core rejected.
     * The driver closes that connection as if it had broken ({@code Transport#disconnect}), so
     * both ends hear of it and start their conversation over on a new one. The core does not
     * rely on it: it has already dropped the message, and judges each later one on its own.
     */
    record Disconnect(PeerId peer, String reason) implements Action {
    }

    /**
     * The peers this node talks to are now {@code peers} (id to quorum address, this node
     * excluded): the transport dials and accepts exactly these, closes the connections of any
     * other and refuses them afterwards. Sent at start and whenever the membership this node
     * knows (committed, proposed, or members being added) changes.
     */
    record PeersChanged(java.util.Map<PeerId, String> peers) implements Action {
        public PeersChanged {
            peers = java.util.Map.copyOf(peers);
        }
    }

    /** A storage action, numbered by the core in the order it was asked for. */
    sealed interface StorageAction extends Action {
        long seq();
    }

    record AppendTxns(long seq, List<Txn> txns) implements StorageAction {
    }

    /** Drop every logged txn after {@code lastKept}. */
    record TruncateLog(long seq, Zxid lastKept) implements StorageAction {
    }

    /** Write both epoch files atomically. */
    record SaveEpoch(long seq, long acceptedEpoch, long currentEpoch) implements StorageAction {
    }

    /**
     * Write {@code committed} as this node's committed membership, atomically (the membership
     * file): at start it is the membership unless the log holds a newer membership txn.
     */
    record SaveMembership(long seq, io.zab.Membership committed) implements StorageAction {
    }

    /** Write part of the data of the snapshot being received by SNAP. */
    record WriteSnapshotChunk(long seq, Zxid zxid, long offset, byte[] data)
            implements StorageAction {
    }

    /**
     * Make the snapshot received by SNAP ({@code size} bytes, CRC32C {@code crc}) the newest,
     * once its size and digest match, and restart the log after its zxid.
     */
    record InstallSnapshot(long seq, Zxid zxid, long size, int crc) implements StorageAction {
    }

    /**
     * Read {@code length} bytes at {@code offset} of this node's snapshot at {@code zxid} (the
     * one {@link Event.SnapshotReady} named) for a learner; answer with
     * {@link Event.SnapshotChunk}. Reads of one transfer come in offset order.
     */
    record ReadSnapshotChunk(PeerId learner, Zxid zxid, long offset, int length)
            implements Action {
    }

    /**
     * Read the logged txns after {@code after} for a learner, in order, up to {@code maxBytes}
     * of payload and at least one ({@code TxnLog#readAfter(Zxid, long)}); answer with
     * {@link Event.LogRead}, or {@link Event.LogReadFailed} when the log cannot be read or no
     * longer holds the txn right after {@code after}. Served in order with the storage actions
     * and {@link PurgeLog}s asked before and after it (the log writer's queue): a purge the core
     * asks for later never overtakes it. At most one read per learner is outstanding.
     */
    record ReadLog(PeerId learner, Zxid after, long maxBytes) implements Action {
        public ReadLog {
            if (maxBytes <= 0) {
                throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
            }
        }
    }

    /**
     * Let the log drop its txns at or below {@code upTo} ({@code TxnLog#purge}), in order with
     * the storage actions and reads asked before it. No part of durability: a purge lost in a
     * crash leaves more, and no {@link Event.Persisted} covers it. The core has stopped counting
     * those txns as logged ({@link Event.LogPurgeable}).
     */
    record PurgeLog(Zxid upTo) implements Action {
    }

    /** An action for the delivery thread, run in the order given. */
    sealed interface DeliveryAction extends Action {
    }

    /** Host request {@code requestId} became txn {@code zxid}; complete it when delivered. */
    record RequestProposed(long requestId, Zxid zxid) implements DeliveryAction {
    }

    /** Hand these committed, locally durable txns to the state machine, in order. */
    record Deliver(List<Txn> txns, long bytes) implements DeliveryAction {
        /** With the txns' payload bytes counted here (the core passes what its history knows). */
        public Deliver(List<Txn> txns) {
            this(txns, Txn.payloadBytes(txns));
        }
    }

    /** Replace the state machine's state with the snapshot kept at {@code zxid}. */
    record RestoreSnapshot(Zxid zxid) implements DeliveryAction {
    }

    /**
     * Have a snapshot of the state machine kept for a learner (a new one, or a newer one kept
     * already); answer with {@link Event.SnapshotReady}.
     */
    record TakeSnapshot(PeerId learner) implements DeliveryAction {
    }

    /** Complete host request {@code requestId} (a failed submit, or a sync) with an outcome. */
    record Complete(long requestId, Outcome outcome) implements DeliveryAction {
    }
}
