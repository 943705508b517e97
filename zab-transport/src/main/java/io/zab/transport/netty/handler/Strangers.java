package io.zab.transport.netty.handler;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepted connections that have not finished their handshake ("strangers"), kept cheap: at
 * most {@code maxPending} at once and a quarter of that (at least one) from one source address
 * (one more is closed as soon as it is accepted; the per-address share keeps one host from
 * taking every slot and so locking the members out), every refusal
 * counted, and the WARN about a refusal logged at most once a minute per source address (the
 * ones in between are counted and named in the next line). A flood of strangers therefore costs
 * a bounded number of descriptors and a bounded amount of log.
 *
 * <p>Thread-safe: called from every event loop of a transport.
 */
public final class Strangers {
    /** Set on an accepted channel while it is a stranger. */
    static final AttributeKey<Strangers> KEY = AttributeKey.valueOf("zab.stranger");
    /** The source address a stranger was counted under (a closed channel may not tell). */
    static final AttributeKey<InetAddress> FROM = AttributeKey.valueOf("zab.stranger.from");
    static final long QUIET_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Source addresses remembered within a minute; beyond them one line a minute for all. */
    static final int MAX_ADDRESSES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final int maxPending;
    private final LongSupplier nanoTime;
    private final Runnable onRefused;
    private final AtomicInteger pending = new AtomicInteger();
    private final int maxPerAddress;
    /** Strangers per source address; an entry only while it has some, so at most maxPending. */
    private final java.util.concurrent.ConcurrentHashMap<InetAddress, Integer> perAddress =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<InetAddress, Quiet> quiet = new HashMap<>(); // guarded by this
    private final Quiet overflow = new Quiet();

    /** Per address: no WARN before {@code until}; refusals not logged since the last WARN. */
    private static final class Quiet {
        long until;
        long unlogged;
        boolean used;
    }

    /**
     * @param maxPending strangers at once
     * @param nanoTime the clock of the once-a-minute rule
     * @param onRefused told of every refusal (the node's metrics); must not block
     */
    public Strangers(int maxPending, LongSupplier nanoTime, Runnable onRefused) {
        this.maxPending = maxPending;
        this.maxPerAddress = Math.max(1, maxPending / 4);
        this.nanoTime = nanoTime;
        this.onRefused = onRefused;
    }

    /**
     * A connection was accepted: it becomes a stranger until {@link ConnectionGuard#admitted}
     * or its close. Over the limit it is closed at once, counted and (throttled) logged.
     *
     * @return false if it was refused
     */
    public boolean arrived(Channel ch) {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            ConnectionGuard.closeQuietly(ch);
            refused(ch, maxPending + " connections are already in their handshake");
            return false;
        }
        InetAddress from = addressOf(ch.remoteAddress());
        if (from != null) {
            boolean[] over = new boolean[1];
            perAddress.compute(from, (a, n) -> {
                int now = n == null ? 0 : n;
                over[0] = now >= maxPerAddress;
                return over[0] ? n : Integer.valueOf(now + 1);
            });
            if (over[0]) {
                pending.decrementAndGet();
                ConnectionGuard.closeQuietly(ch);
                refused(ch, maxPerAddress + " connections from this address are already in"
                        + " their handshake");
                return false;
            }
        }
        ch.attr(FROM).set(from);
        ch.attr(KEY).set(this);
        ch.closeFuture().addListener(f -> leave(ch));
        return true;
    }

    /** Connections accepted and still in their handshake. */
    public int pending() {
        return pending.get();
    }

    /** The channel is no longer a stranger (authenticated, or closed); idempotent. */
    void leave(Channel ch) {
        if (ch.attr(KEY).getAndSet(null) != null) {
            pending.decrementAndGet();
            InetAddress from = ch.attr(FROM).get();
            if (from != null) {
                perAddress.computeIfPresent(from, (a, n) -> n <= 1 ? null : n - 1);
            }
        }
    }

    /** Counts a refusal and logs it unless its address was logged within the minute. */
    void refused(Channel ch, String reason) {
        try {
            onRefused.run();
        } catch (RuntimeException e) {
            LOG.debug("Counting a refused handshake failed", e);
        }
        SocketAddress remote = ch.remoteAddress();
        long unlogged = admitLine(remote);
        if (unlogged < 0) {
            LOG.debug("Peer ? at {}: {}; closing the connection (not logged again within a"
                    + " minute)", remote, reason);
        } else if (unlogged == 0) {
            LOG.warn("Peer ? at {}: {}; closing the connection", remote, reason);
        } else {
            LOG.warn("Peer ? at {}: {}; closing the connection ({} more refused from {} in the"
                    + " last minute, not logged: at most one line a minute per address)", remote,
                    reason, unlogged, overflowLine(remote) ? "addresses beyond "
                    + MAX_ADDRESSES : "this address");
        }
    }

    private boolean overflowLine(SocketAddress remote) {
        synchronized (this) {
            return !quiet.containsKey(addressOf(remote));
        }
    }

    /** -1: do not log; otherwise log, naming this many refusals not logged before it. */
    private synchronized long admitLine(SocketAddress remote) {
        long now = nanoTime.getAsLong();
        InetAddress address = addressOf(remote);
        Quiet q = quiet.get(address);
        if (q == null) {
            if (quiet.size() >= MAX_ADDRESSES) {
                forgetQuietOnes(now);
            }
            if (quiet.size() >= MAX_ADDRESSES) {
                q = overflow;
            } else {
                q = new Quiet();
                quiet.put(address, q);
            }
        }
        if (q.used && now - q.until < 0) {
            q.unlogged++;
            return -1;
        }
        long unlogged = q.unlogged;
        q.used = true;
        q.until = now + QUIET_NANOS;
        q.unlogged = 0;
        return unlogged;
    }

    private void forgetQuietOnes(long now) {
        for (Iterator<Quiet> it = quiet.values().iterator(); it.hasNext(); ) {
            Quiet q = it.next();
            if (now - q.until >= 0 && q.unlogged == 0) {
                it.remove();
            }
        }
    }

    private static InetAddress addressOf(SocketAddress remote) {
        return remote instanceof InetSocketAddress ? ((InetSocketAddress) remote).getAddress()
                : null;
    }
}
