package io.zab.election.fle.sim;

/**
 * Faults of the simulated election network. A real link is FIFO while its connection lives and
 * loses whatever is in flight when the connection breaks; {@code reorder} drops the FIFO rule to
 * model the worst case as well.
 *
 * @param minDelayUs the shortest one-way delay
 * @param maxDelayUs the longest one-way delay
 * @param lossRate chance that one message is lost on its own
 * @param duplicateRate chance that a message is delivered twice
 * @param breakRate chance, per message sent, that the connection breaks and loses everything in
 *     flight on it (the message included)
 * @param reorder whether messages of one link may overtake each other
 */
record NetConfig(long minDelayUs, long maxDelayUs, double lossRate, double duplicateRate,
        double breakRate, boolean reorder) {

    /** A LAN: 0.2 to 2 ms, FIFO, nothing lost. */
    static final NetConfig RELIABLE = new NetConfig(200, 2_000, 0, 0, 0, false);

    /** Lost, duplicated and reordered messages and broken connections, all at once. */
    static final NetConfig LOSSY = new NetConfig(200, 20_000, 0.2, 0.1, 0.03, true);

    /** FIFO links whose connections break now and then: what a real transport does. */
    static final NetConfig BREAKING = new NetConfig(200, 5_000, 0, 0, 0.05, false);

    NetConfig withDelays(long minUs, long maxUs) {
        return new NetConfig(minUs, maxUs, lossRate, duplicateRate, breakRate, reorder);
    }
}
