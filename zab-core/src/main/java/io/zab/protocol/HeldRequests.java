package io.zab.protocol;

import io.zab.PeerId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Host requests held, in arrival order, until they can go on (a leader in broadcast, room in the
 * leader's in-flight budget) or their wait runs out. Nothing held was proposed, so a request
 * that expires here was never applied. Bounded by its callers' budgets: a node holds at most its
 * own pending requests and, as leader, what its learners forwarded within theirs.
 */
final class HeldRequests {
    /**
     * One held request: a write ({@code payload} set) or a sync ({@code payload} null), from this
     * node or forwarded by {@code origin}, that may wait until tick {@code deadlineTick}.
     */
    record Held(long requestId, byte[] payload, PeerId origin, long deadlineTick) {
        int bytes() {
            return payload == null ? 0 : payload.length;
        }

        /** Ticks left to wait at {@code now}; at least 0. */
        int ticksLeft(long now) {
            return (int) Math.max(0, Math.min(Integer.MAX_VALUE, deadlineTick - now));
        }
    }

    private final ArrayDeque<Held> queue = new ArrayDeque<>();
    private long bytes;

    void add(Held h) {
        queue.addLast(h);
        bytes += h.bytes();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    /** Payload bytes held. */
    long bytes() {
        return bytes;
    }

    Held peek() {
        return queue.peekFirst();
    }

    Held poll() {
        Held h = queue.pollFirst();
        if (h != null) {
            bytes -= h.bytes();
        }
        return h;
    }

    /** Removes and returns every request whose wait ran out before tick {@code now}. */
    List<Held> expire(long now) {
        List<Held> out = new ArrayList<>();
        for (Iterator<Held> it = queue.iterator(); it.hasNext();) {
            Held h = it.next();
            if (h.deadlineTick() < now) {
                it.remove();
                bytes -= h.bytes();
                out.add(h);
            }
        }
        return out;
    }

    /** Removes and returns everything, in order. */
    List<Held> drain() {
        List<Held> out = new ArrayList<>(queue);
        queue.clear();
        bytes = 0;
        return out;
    }
}
