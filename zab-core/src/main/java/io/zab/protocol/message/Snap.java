package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * SNAP: the learner's state is to be replaced by the leader's snapshot taken at {@code zxid}:
 * {@code size} bytes of data whose CRC32C is {@code crc}. The learner answers with a
 * {@link SnapAck} naming where to start (after what it kept of this same snapshot from a
 * transfer that broke, else 0); the data follows from there in {@link SnapChunk}s (each
 * acknowledged with {@link SnapAck} once durable), then the leader's txns after it, then
 * NEWLEADER. The learner installs the snapshot only once all of it is durable and its digest
 * matches. {@code membership} is the leader's committed membership (null from tests that do
 * not care): the learner adopts it before the snapshot replaces its history, since the changes
 * its log held go with that history (the snapshot's metadata, as issue 17 asks).
 */
public record Snap(long epoch, Zxid zxid, long size, int crc, io.zab.Membership membership)
        implements Message {
    public Snap {
        if (size < 0) {
            throw new IllegalArgumentException("SNAP size must not be negative: " + size);
        }
    }

    /** Without a membership, for callers written before it existed. */
    public Snap(long epoch, Zxid zxid, long size, int crc) {
        this(epoch, zxid, size, crc, null);
    }
}
