package io.zab;

/**
 * A transaction id: the epoch of the leader that proposed the txn and a counter within that epoch.
 *
 * <p>Both parts are unsigned 32-bit values, so the packed form ({@link #toLong()}) orders the same
 * way as the record when compared unsigned ({@code Long.compareUnsigned}; an epoch of 2^31 or
 * more makes it negative). The counter never wraps into the epoch bits: a leader whose counter
 * is about to run out steps down so that a new epoch starts at counter 1 again (ZOOKEEPER-1277).
 *
 * <p>Immutable; any thread.
 *
 * @param epoch the epoch of the leader that proposed the txn, 0 to {@link #MAX_PART}
 * @param counter the txn's number within that epoch, 0 to {@link #MAX_PART}; an epoch's first
 *     txn is 1
 */
public record Zxid(long epoch, long counter) implements Comparable<Zxid> {
    /** The largest epoch and the largest counter: 2^32 - 1. */
    public static final long MAX_PART = 0xFFFF_FFFFL;
    /** The zxid before any txn: an empty history ends here. */
    public static final Zxid ZERO = new Zxid(0, 0);

    /**
     * Checks both parts.
     *
     * @param epoch the epoch, 0 to {@link #MAX_PART}
     * @param counter the counter, 0 to {@link #MAX_PART}
     * @throws IllegalArgumentException if a part is negative or above {@link #MAX_PART}
     */
    public Zxid {
        if (epoch < 0 || epoch > MAX_PART) {
            throw new IllegalArgumentException("zxid epoch out of 32-bit range: " + epoch);
        }
        if (counter < 0 || counter > MAX_PART) {
            throw new IllegalArgumentException("zxid counter out of 32-bit range: " + counter);
        }
    }

    /**
     * Unpacks a zxid: the epoch from the high 32 bits, the counter from the low 32.
     *
     * @param packed a value from {@link #toLong()}
     * @return the zxid
     */
    public static Zxid fromLong(long packed) {
        return new Zxid(packed >>> 32, packed & MAX_PART);
    }

    /**
     * Packs this zxid as ZooKeeper does: the epoch in the high 32 bits, the counter in the low.
     *
     * @return the packed form
     */
    public long toLong() {
        return epoch << 32 | counter;
    }

    /**
     * True when {@code next} may directly follow this zxid in a history: the next counter of the
     * same epoch, or counter 1 of a later epoch. Every history is gapless in this sense
     * (ZOOKEEPER-4925 let a hole in; we check continuity on every append and every DIFF).
     *
     * @param next the zxid that would come next
     * @return whether {@code next} continues this history without a gap
     */
    public boolean isFollowedBy(Zxid next) {
        if (next.epoch == epoch) {
            return next.counter == counter + 1;
        }
        return next.epoch > epoch && next.counter == 1;
    }

    @Override
    public int compareTo(Zxid o) {
        int c = Long.compare(epoch, o.epoch);
        return c != 0 ? c : Long.compare(counter, o.counter);
    }

    /**
     * Whether this zxid comes after {@code o}.
     *
     * @param o the zxid to compare with
     * @return true if this one is later
     */
    public boolean isAfter(Zxid o) {
        return compareTo(o) > 0;
    }

    /**
     * Whether this zxid comes before {@code o}.
     *
     * @param o the zxid to compare with
     * @return true if this one is earlier
     */
    public boolean isBefore(Zxid o) {
        return compareTo(o) < 0;
    }

    /**
     * The later of two zxids.
     *
     * @param a one zxid
     * @param b another
     * @return the later one ({@code a} when they are equal)
     */
    public static Zxid max(Zxid a, Zxid b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * The earlier of two zxids.
     *
     * @param a one zxid
     * @param b another
     * @return the earlier one ({@code a} when they are equal)
     */
    public static Zxid min(Zxid a, Zxid b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The packed form in hex, as ZooKeeper prints it: {@code 0x} then the digits. */
    @Override
    public String toString() {
        return "0x" + Long.toHexString(toLong());
    }

    // Written out rather than the record's generated pair (same values): a leader looks up a
    // zxid per delivered txn, and the generated equals showed in its profile.
    @Override
    public boolean equals(Object o) {
        return o instanceof Zxid z && z.epoch == epoch && z.counter == counter;
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(epoch) + Long.hashCode(counter);
    }
}
