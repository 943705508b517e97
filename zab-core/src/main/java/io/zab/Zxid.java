package io.zab;

/**
 * A transaction id: the epoch of the leader that proposed the txn and a counter within that epoch.
 *
 * <p>Both parts are unsigned 32-bit values, so the packed form ({@link #toLong()}) orders the same
 * way as the record. The counter never wraps into the epoch bits: a leader whose counter is about
 * to run out steps down so that a new epoch starts at counter 1 again (ZOOKEEPER-1277).
 *
 * <p>Immutable; any thread.
 */
public record Zxid(long epoch, long counter) implements Comparable<Zxid> {
    public static final long MAX_PART = 0xFFFF_FFFFL;
    public static final Zxid ZERO = new Zxid(0, 0);

    public Zxid {
        if (epoch < 0 || epoch > MAX_PART) {
            throw new IllegalArgumentException("zxid epoch out of 32-bit range: " + epoch);
        }
        if (counter < 0 || counter > MAX_PART) {
            throw new IllegalArgumentException("zxid counter out of 32-bit range: " + counter);
        }
    }

    public static Zxid fromLong(long packed) {
        return new Zxid(packed >>> 32, packed & MAX_PART);
    }

    public long toLong() {
        return epoch << 32 | counter;
    }

    /**
     * True when {@code next} may directly follow this zxid in a history: the next counter of the
     * same epoch, or counter 1 of a later epoch. Every history is gapless in this sense
     * (ZOOKEEPER-4925 let a hole in; we check continuity on every append and every DIFF).
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

    public boolean isAfter(Zxid o) {
        return compareTo(o) > 0;
    }

    public boolean isBefore(Zxid o) {
        return compareTo(o) < 0;
    }

    public static Zxid max(Zxid a, Zxid b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    public static Zxid min(Zxid a, Zxid b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(toLong());
    }
}
