package io.zab.examples.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, recorded from any thread, read once at the end. */
final class Latencies {
    private final long[] samples;
    private final java.util.concurrent.atomic.AtomicInteger size =
            new java.util.concurrent.atomic.AtomicInteger();

    Latencies(int capacity) {
        samples = new long[capacity];
    }

    void record(long nanos) {
        int i = size.getAndIncrement();
        if (i < samples.length) {
            samples[i] = nanos;
        }
    }

    /** How many samples were recorded (those beyond the capacity included). */
    long count() {
        return size.get();
    }

    /** The value at each quantile (0..1), in milliseconds. */
    double[] quantilesMs(double... q) {
        int n = Math.min(size.get(), samples.length);
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        double[] out = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            if (n == 0) {
                continue;
            }
            int idx = (int) Math.min(n - 1, Math.ceil(q[i] * n) - 1);
            out[i] = sorted[Math.max(0, idx)] / 1e6;
        }
        return out;
    }
}
