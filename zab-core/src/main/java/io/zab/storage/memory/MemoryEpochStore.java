package io.zab.storage.memory;

import io.zab.storage.EpochStore;

/** Epochs in memory. {@link #save} is durable at once, as the file store's rename is. */
public final class MemoryEpochStore implements EpochStore {
    private long acceptedEpoch;
    private long currentEpoch;

    @Override
    public long acceptedEpoch() {
        return acceptedEpoch;
    }

    @Override
    public long currentEpoch() {
        return currentEpoch;
    }

    @Override
    public void save(long accepted, long current) {
        if (current > accepted) {
            throw new IllegalArgumentException("currentEpoch " + current
                    + " above acceptedEpoch " + accepted);
        }
        this.acceptedEpoch = accepted;
        this.currentEpoch = current;
    }
}
