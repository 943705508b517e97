package io.zab.sim;

/**
 * An action or event a {@link Hook} caught right before it takes effect: a Send before it
 * reaches the network, a storage action before the disk applies it, a delivery action before
 * the host runs it, an event before the core handles it. The hook may:
 * <ul>
 *   <li>do nothing: it takes effect;</li>
 *   <li>{@link #drop()} it: it never takes effect (a dropped storage action is a lying disk: it
 *       still counts as persisted);</li>
 *   <li>{@link #hold()} it (Sends and events only) and release it later: it takes effect then,
 *       if the node has not crashed since;</li>
 *   <li>crash the node ({@link SimCluster#crash}): it and everything after it is lost.</li>
 * </ul>
 * Dropping or holding a Send on a live connection breaks the transport's promise (loss only
 * with the connection, FIFO); a script that wants a faithful fault breaks the connection too.
 *
 * <p>One thread (the simulation's).
 */
public final class Intercepted<T> {
    private final SimNode node;
    private final T item;
    private final boolean holdable;
    private boolean dropped;
    private Held held;

    Intercepted(SimNode node, T item, boolean holdable) {
        this.node = node;
        this.item = item;
        this.holdable = holdable;
    }

    public SimNode node() {
        return node;
    }

    public T item() {
        return item;
    }

    public void drop() {
        dropped = true;
    }

    /** Keeps the item back until {@link Held#release()}. */
    public Held hold() {
        if (!holdable) {
            throw new UnsupportedOperationException("only Sends and events can be held, not "
                    + SimTrace.describe(item) + " (a pipeline runs in order)");
        }
        held = new Held();
        return held;
    }

    boolean dropped() {
        return dropped;
    }

    Held held() {
        return held;
    }

    /** An item held back by a hook. */
    public static final class Held {
        private Runnable effect;
        private boolean released;

        void bind(Runnable effectOnRelease) {
            this.effect = effectOnRelease;
        }

        /** Lets the item take effect now (nothing happens if its node crashed meanwhile). */
        public void release() {
            if (released) {
                throw new IllegalStateException("already released");
            }
            released = true;
            effect.run();
        }

        public boolean isReleased() {
            return released;
        }
    }
}
