package io.zab;

/**
 * The id of one server of the ensemble (ZooKeeper's "sid"). Positive.
 *
 * <p>Immutable; any thread.
 *
 * @param value the id, 1 or more
 */
public record PeerId(int value) implements Comparable<PeerId> {
    /**
     * Checks the id.
     *
     * @param value the id, 1 or more
     * @throws IllegalArgumentException if {@code value} is 0 or negative
     */
    public PeerId {
        if (value <= 0) {
            throw new IllegalArgumentException("peer id must be positive: " + value);
        }
    }

    /**
     * The id {@code value}; same as the constructor.
     *
     * @param value the id, 1 or more
     * @return the id
     * @throws IllegalArgumentException if {@code value} is 0 or negative
     */
    public static PeerId of(int value) {
        return new PeerId(value);
    }

    @Override
    public int compareTo(PeerId o) {
        return Integer.compare(value, o.value);
    }

    /** The id in decimal, as in logs and exception messages. */
    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
