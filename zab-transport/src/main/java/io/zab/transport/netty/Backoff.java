package io.zab.transport.netty;

import java.util.SplittableRandom;

/**
 * Exponential reconnect backoff with jitter: the n-th consecutive failure waits a uniform time in
 * [d/2, d] with d = min(max, min * 2^n). The jitter comes from a seeded stream so a test can
 * replay it, and it spreads the nodes of a restarted cluster apart.
 *
 * <p>Confined to one peer link's event loop.
 */
final class Backoff {
    private final long minMs;
    private final long maxMs;
    private final SplittableRandom random;
    private int failures;

    Backoff(long minMs, long maxMs, SplittableRandom random) {
        this.minMs = minMs;
        this.maxMs = maxMs;
        this.random = random;
    }

    /** The wait before the next attempt; counts one more failure. */
    long nextDelayMs() {
        int shift = Math.min(failures, 30);
        long ceiling = Math.min(maxMs, minMs << shift);
        failures++;
        long half = ceiling / 2;
        return half + random.nextLong(ceiling - half + 1);
    }

    void reset() {
        failures = 0;
    }
}
