package io.zab.sim;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A script's hook on one node's actions or events (or every node's, for node 0). It sees each
 * matching item right before it takes effect and may drop it, hold it, or crash the node.
 * Returned by {@link SimCluster#onAction} and {@link SimCluster#onEvent}.
 *
 * <p>One thread (the simulation's).
 */
public final class Hook<T> {
    final int node;
    final Predicate<? super T> when;
    final Consumer<Intercepted<T>> then;
    private boolean removed;
    private int fired;

    Hook(int node, Predicate<? super T> when, Consumer<Intercepted<T>> then) {
        this.node = node;
        this.when = when;
        this.then = then;
    }

    boolean matches(SimNode n, T item) {
        return !removed && (node == 0 || node == n.id()) && when.test(item);
    }

    void fire(Intercepted<T> item) {
        fired++;
        then.accept(item);
    }

    /** Stops the hook; it fires no more. */
    public void remove() {
        removed = true;
    }

    public boolean isRemoved() {
        return removed;
    }

    /** How many times the hook fired. */
    public int fired() {
        return fired;
    }
}
