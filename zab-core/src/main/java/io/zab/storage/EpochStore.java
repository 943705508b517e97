package io.zab.storage;

import java.io.IOException;

/**
 * The two epochs of Zab 1.0: acceptedEpoch (the highest LEADERINFO epoch this node acked) and
 * currentEpoch (the epoch of the leader whose history it last adopted). {@link #save} is atomic
 * and durable when it returns.
 */
public interface EpochStore {
    long acceptedEpoch();

    long currentEpoch();

    void save(long acceptedEpoch, long currentEpoch) throws IOException;
}
