package io.zab;

/**
 * The id of one server of the ensemble (ZooKeeper's "sid"). Positive.
 *
 * <p>Immutable; any thread.
 */
public record PeerId(int value) implements Comparable<PeerId> {
    public PeerId {
        if (value <= 0) {
            throw new IllegalArgumentException("peer id must be positive: " + value);
        }
    }

    public static PeerId of(int value) {
        return new PeerId(value);
    }

    @Override
    public int compareTo(PeerId o) {
        return Integer.compare(value, o.value);
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
