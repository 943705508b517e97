package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * SNAP: the learner replaces its state with this snapshot of the leader's state machine, taken
 * at {@code zxid}; the leader's txns after it follow, then NEWLEADER.
 */
public record Snap(long epoch, Zxid zxid, byte[] snapshot) implements Message {
    @Override
    public String toString() {
        return "Snap[epoch=" + epoch + ", zxid=" + zxid + ", " + snapshot.length + " bytes]";
    }
}
