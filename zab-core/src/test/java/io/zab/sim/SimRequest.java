package io.zab.sim;

import io.zab.Zxid;
import io.zab.protocol.Outcome;

/**
 * A client's request to one node, as the client sees it: a write (submit), a sync() or a
 * leadership transfer (TRANSFERRED once the target leads). It is
 * PENDING until the node's delivery pipeline answers: a write SUCCEEDED when the node delivered
 * the txn bound to it, FAILED with an {@link Outcome}, or UNKNOWN when the node crashed first.
 *
 * <p>One thread (the simulation's).
 */
public final class SimRequest {
    public enum Kind { WRITE, SYNC, TRANSFER, CHANGE }

    public enum Status { PENDING, SUCCEEDED, SYNCED, TRANSFERRED, FAILED, UNKNOWN }

    final long id;
    final int node;
    final Kind kind;
    final byte[] payload;
    final boolean generated;
    final long invokedAt;
    Status status = Status.PENDING;
    Outcome outcome;
    Zxid boundZxid;
    Zxid zxid;
    /** Chain position (1-based) of this write's txn once any node delivered it; 0 before. */
    long chainPosition;
    /** For a sync: the highest chain position of a write acknowledged before it was invoked. */
    long ackedBeforeInvoke;
    long completedAt = -1;

    SimRequest(long id, int node, Kind kind, byte[] payload, boolean generated, long invokedAt) {
        this.id = id;
        this.node = node;
        this.kind = kind;
        this.payload = payload;
        this.generated = generated;
        this.invokedAt = invokedAt;
    }

    public long id() {
        return id;
    }

    public int node() {
        return node;
    }

    public Kind kind() {
        return kind;
    }

    public byte[] payload() {
        return payload.clone();
    }

    public Status status() {
        return status;
    }

    public boolean isDone() {
        return status != Status.PENDING;
    }

    /** A write delivered on its node, a sync that completed, or a transfer done. */
    public boolean succeeded() {
        return status == Status.SUCCEEDED || status == Status.SYNCED
                || status == Status.TRANSFERRED;
    }

    /** How it failed, or the SYNCED outcome of a sync; null otherwise. */
    public Outcome outcome() {
        return outcome;
    }

    /** The zxid of a successful write, or null. */
    public Zxid zxid() {
        return zxid;
    }

    public long invokedAt() {
        return invokedAt;
    }

    public long completedAt() {
        return completedAt;
    }

    @Override
    public String toString() {
        return kind + "#" + id + "@n" + node + " " + status
                + (zxid != null ? " " + zxid : "")
                + (outcome != null ? " " + outcome.kind() : "");
    }
}
