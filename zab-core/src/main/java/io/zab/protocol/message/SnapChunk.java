package io.zab.protocol.message;

import io.zab.Zxid;

/** Part of the data of the snapshot at {@code zxid} announced by SNAP, at {@code offset}. */
public record SnapChunk(long epoch, Zxid zxid, long offset, byte[] data) implements Message {
    public SnapChunk {
        if (offset < 0) {
            throw new IllegalArgumentException("SNAPCHUNK offset must not be negative: "
                    + offset);
        }
    }

    @Override
    public String toString() {
        return "SnapChunk[epoch=" + epoch + ", zxid=" + zxid + ", offset=" + offset + ", "
                + data.length + " bytes]";
    }
}
