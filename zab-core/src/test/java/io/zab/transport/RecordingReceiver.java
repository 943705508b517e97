package io.zab.transport;

import static org.junit.jupiter.api.Assertions.fail;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Transport.Receiver} that records every callback in arrival order, for tests. The
 * transport's threads add; the test thread takes, always with a deadline.
 */
public final class RecordingReceiver implements Transport.Receiver {
    /** A received message, or a disconnect when {@code message} is null. */
    public record Event(PeerId peer, Message message) {
        public boolean isDisconnect() {
            return message == null;
        }
    }

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong handshakesRefused =
            new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void onHandshakeRefused() {
        handshakesRefused.incrementAndGet();
    }

    /** How many times the transport reported a refused handshake. */
    public long handshakesRefused() {
        return handshakesRefused.get();
    }

    @Override
    public void onMessage(PeerId from, Message message) {
        events.add(new Event(from, message));
    }

    @Override
    public void onDisconnected(PeerId peer) {
        events.add(new Event(peer, null));
    }

    /** The next event, or null if none arrives within {@code timeout}. */
    public Event poll(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The next event; fails the test if none arrives within {@code timeout}. */
    public Event take(Duration timeout) throws InterruptedException {
        Event e = poll(timeout);
        if (e == null) {
            fail("no transport event within " + timeout);
        }
        return e;
    }

    /** Waits (until the deadline) for a disconnect of {@code peer}, skipping other events. */
    public void awaitDisconnect(PeerId peer, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Event e = poll(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            if (e != null && e.isDisconnect() && e.peer().equals(peer)) {
                return;
            }
        }
        fail("no disconnect of peer " + peer + " within " + timeout);
    }

    /**
     * The next message from {@code from}, skipping other peers' events (at most 100); fails if
     * {@code from} is reported disconnected first.
     */
    public Message nextFrom(PeerId from, Duration timeout) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            Event e = take(timeout);
            if (e.peer().equals(from)) {
                if (e.isDisconnect()) {
                    throw new AssertionError("peer " + from + " reported disconnected");
                }
                return e.message();
            }
        }
        throw new AssertionError("too many unrelated events");
    }

    /** Everything recorded so far and not yet taken. */
    public List<Event> drain() {
        List<Event> out = new ArrayList<>();
        events.drainTo(out);
        return out;
    }
}
