package io.zab.transport.netty;

import io.netty.channel.Channel;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue of messages to one peer for one connection's lifetime. Any thread offers;
 * once a channel is attached, that channel's event loop drains it, writing as long as the
 * channel is writable and flushing once per drain, so the sends of one loop turn share a
 * flush. When the connection ends the peer link kills the outbox (dropping what is left and
 * refusing further offers) and starts a new one: a message can never leak from a dead
 * connection's queue into the next connection out of order, and every message counted here
 * before the kill is either written or reported lost.
 *
 * <p>Thread-safe: {@link #offer} and {@link #requestDrain} from any thread, {@link #drain} and
 * {@link #onWritable} on the attached channel's loop, the rest on the peer link's loop.
 */
final class Outbox {
    enum Offer { OK, FULL, DEAD }

    private static final int DEAD = Integer.MIN_VALUE / 2;

    private final ConcurrentLinkedQueue<Message> queue = new ConcurrentLinkedQueue<>();
    /**
     * PING and PINGACK: written before anything in {@link #queue}, so a backlog of data never
     * makes a live peer look silent ({@link io.zab.transport.Transport} allows them to overtake).
     */
    private final ConcurrentLinkedQueue<Message> urgent = new ConcurrentLinkedQueue<>();
    /** Messages accepted and not yet written; DEAD (negative) once killed. */
    private final AtomicInteger count = new AtomicInteger();
    /** Set while a drain (or the link's connect) is pending for what is queued. */
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final int capacity;
    private final PeerLink link;
    private volatile Channel channel;
    /** Channel loop only: a drain stopped because the channel was not writable. */
    private boolean blocked;

    Outbox(int capacity, PeerLink link) {
        this.capacity = capacity;
        this.link = link;
    }

    Offer offer(Message m) {
        for (int spins = 0; spins < 1_000_000; spins++) {
            int c = count.get();
            if (c < 0) {
                return Offer.DEAD;
            }
            if (c >= capacity) {
                return Offer.FULL;
            }
            if (count.compareAndSet(c, c + 1)) {
                (isLiveness(m) ? urgent : queue).add(m);
                return Offer.OK;
            }
        }
        return Offer.FULL; // pathological contention: treat like a full queue, loudly
    }

    private static boolean isLiveness(Message m) {
        return m instanceof Ping || m instanceof PingAck;
    }

    /** After an offer: make sure someone will write it, or connect so someone can. */
    void requestDrain() {
        if (!drainScheduled.compareAndSet(false, true)) {
            Channel ch = channel;
            if (ch != null && !urgent.isEmpty()) {
                executeOn(ch); // even past the high-water mark, or behind a long backlog
            }
            return;
        }
        Channel ch = channel;
        if (ch != null) {
            executeOn(ch);
        } else {
            link.runOnLoop(() -> link.onPending(this));
        }
    }

    /** Schedules a drain on the channel's loop; a loop already shut down means we are closing. */
    private void executeOn(Channel ch) {
        try {
            ch.eventLoop().execute(this::drain);
        } catch (RejectedExecutionException e) {
            queue.clear();
            urgent.clear();
        }
    }

    boolean hasMessages() {
        return count.get() > 0;
    }

    boolean isAttached() {
        return channel != null;
    }

    /** Link loop: the connection is up; writing starts on its loop. */
    void attach(Channel ch) {
        channel = ch;
        executeOn(ch);
    }

    /** Link loop: a drain requested before the channel was attached must still happen. */
    void scheduleDrain() {
        Channel ch = channel;
        if (ch != null) {
            executeOn(ch);
        }
    }

    /** Refuses further offers and drops the queue; returns how many messages were unsent. */
    int kill() {
        int had = count.getAndSet(DEAD);
        queue.clear();
        urgent.clear();
        return Math.max(had, 0);
    }

    /**
     * Messages one drain writes before it flushes and yields the loop. A drain that encoded a
     * whole backlog (tens of thousands of small messages, a second's work on a cold JVM) before
     * its one flush would hold back every read and write of its loop meanwhile, PINGs
     * included; a later task drains the rest.
     */
    static final int DRAIN_BATCH = 256;

    /** Channel loop: writes what is queued (at most {@link #DRAIN_BATCH}), then one flush. */
    void drain() {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        if (count.get() < 0 || !ch.isActive()) {
            queue.clear();
            urgent.clear();
            return;
        }
        int written = 0;
        for (Message m; (m = urgent.poll()) != null; written++) {
            count.decrementAndGet(); // written even past the mark: a few bytes each
            ch.write(m, ch.voidPromise());
        }
        while (written < DRAIN_BATCH && ch.isWritable()) {
            Message m = queue.poll();
            if (m == null) {
                break;
            }
            count.decrementAndGet();
            ch.write(m, ch.voidPromise());
            written++;
        }
        if (written > 0) {
            ch.flush();
        }
        if (!ch.isWritable() && !queue.isEmpty() && urgent.isEmpty()) {
            blocked = true; // the writability event resumes; the flag stays set until then
            return;
        }
        drainScheduled.set(false);
        if ((!queue.isEmpty() || !urgent.isEmpty())
                && drainScheduled.compareAndSet(false, true)) {
            continueAfterIo(ch);
        }
    }

    /**
     * The rest of a backlog is drained after the loop's next round of I/O. A drain queued as a
     * plain task would run again in the same round (an event loop runs dozens of tasks between
     * two looks at its sockets), so a long backlog would keep the loop from reading for
     * seconds; a task scheduled for "now" waits for the next round.
     */
    private void continueAfterIo(Channel ch) {
        try {
            ch.eventLoop().schedule(this::drain, 0, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            queue.clear();
            urgent.clear();
        }
    }

    /** Channel loop: the channel drained below its low-water mark. */
    void onWritable() {
        if (blocked) {
            blocked = false;
            drain();
        }
    }
}
