package io.zab.examples.bench;

/** What the bench drives: zab, or a ZooKeeper ensemble for comparison. */
interface BenchTarget extends AutoCloseable {
    String name();

    /** Submits one write for client {@code client}; calls {@code done} once it completes. */
    void submit(int client, byte[] payload, Done done);

    /** Checks the replicas applied the same txns; returns a one-line summary or throws. */
    String verify() throws Exception;

    @Override
    void close();

    interface Done {
        void completed(boolean ok);
    }
}
