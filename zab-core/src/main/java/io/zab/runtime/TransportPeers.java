package io.zab.runtime;

import io.zab.PeerId;
import io.zab.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the transport the peers the core asks for ({@code Action.PeersChanged}: id to
 * {@code host:port}), as addresses it can dial, and only when they differ from what it was
 * given last. An address that cannot be read is logged at ERROR, naming the peer, and that peer
 * is left out: the others must still be reachable.
 *
 * <p>Addresses are resolved as the static configuration's are (an {@link InetSocketAddress}
 * made from the host), but never on the protocol thread when that means a DNS lookup: a
 * lookup can take seconds, and meanwhile no PING would leave. Literal IPs are read directly, a
 * host name the static configuration already resolved for that peer reuses that address (as
 * the transport's own configuration does, resolved once), and a set with any other name is
 * resolved on a resolver thread of its own, which posts the result back to the protocol thread;
 * a set asked for later wins over one still being resolved.
 *
 * <p>Threading: {@link #changed} and {@link #resolved} on the protocol thread, {@link #close} on
 * any. The resolver thread only resolves and posts; it never touches the transport.
 */
final class TransportPeers {
    private static final Logger LOG = LoggerFactory.getLogger(TransportPeers.class);
    /** Longest host name DNS allows. */
    private static final int MAX_HOST_CHARS = 253;

    /** Peers whose names were resolved off the protocol thread, for the set numbered seq. */
    record Resolved(long seq, Map<PeerId, InetSocketAddress> peers) {
    }

    private final PeerId self;
    private final Transport transport;
    /** The peers the transport was configured with (this node excluded). */
    private final Map<PeerId, InetSocketAddress> configured;
    private final Consumer<Resolved> post;
    private final String threadName;
    /** Number of the latest set asked for; read by the resolver to skip superseded work. */
    private final AtomicLong latest = new AtomicLong();
    private Map<PeerId, String> lastAsked;
    private Map<PeerId, InetSocketAddress> lastGiven;
    private boolean warnedFixed;
    /** Written on the protocol thread; read by {@link #close} on any. */
    private volatile ExecutorService resolver;
    private volatile boolean closed;

    /**
     * @param configured the peers the transport was started with, this node excluded
     * @param post hands a resolved set to the protocol thread (its inbox); must not block
     */
    TransportPeers(PeerId self, Transport transport, Map<PeerId, InetSocketAddress> configured,
            Consumer<Resolved> post, String threadName) {
        this.self = self;
        this.transport = transport;
        this.configured = Collections.unmodifiableMap(new TreeMap<>(configured));
        this.post = post;
        this.threadName = threadName;
    }

    /** The core's peers changed (or were announced at start). */
    void changed(Map<PeerId, String> peers) {
        if (peers.equals(lastAsked)) {
            return;
        }
        lastAsked = Map.copyOf(peers);
        long seq = latest.incrementAndGet();
        Map<PeerId, InetSocketAddress> ready = new TreeMap<>();
        Map<PeerId, Address> names = new TreeMap<>();
        for (Map.Entry<PeerId, String> e : new TreeMap<>(peers).entrySet()) {
            PeerId peer = e.getKey();
            InetSocketAddress known = configured.get(peer);
            if (known != null && e.getValue().equals(format(known))) {
                // As configured: the transport took this address at start, whatever it is (an
                // in-process network does not care for ports), so it takes it again.
                ready.put(peer, known);
                continue;
            }
            Address a;
            try {
                a = Address.parse(e.getValue());
            } catch (IllegalArgumentException bad) {
                LOG.error("node {}: peer {} has the address '{}', which cannot be used ({}); it"
                        + " is left out of the transport's peers", self, peer, e.getValue(),
                        bad.getMessage());
                continue;
            }
            if (a.literal != null) {
                ready.put(peer, a.literal);
            } else if (known != null && a.host.equalsIgnoreCase(known.getHostString())
                    && a.port == known.getPort()) {
                ready.put(peer, known);
            } else {
                names.put(peer, a);
            }
        }
        if (names.isEmpty()) {
            give(ready);
        } else {
            resolveLater(seq, ready, names);
        }
    }

    /** Protocol thread: a set resolved off it; given unless a newer one was asked for. */
    void resolved(Resolved r) {
        if (r.seq() == latest.get()) {
            give(r.peers());
        }
    }

    /** Stops the resolver thread, if one was started; a lookup under way is abandoned. */
    void close() {
        closed = true;
        ExecutorService r = resolver;
        if (r != null) {
            r.shutdownNow();
        }
    }

    private void give(Map<PeerId, InetSocketAddress> peers) {
        Map<PeerId, InetSocketAddress> next = Map.copyOf(peers);
        if (next.equals(lastGiven)) {
            return;
        }
        lastGiven = next;
        try {
            transport.updatePeers(next);
        } catch (UnsupportedOperationException fixed) {
            if (next.equals(configured)) {
                if (!warnedFixed) {
                    warnedFixed = true;
                    LOG.warn("node {}: {}: its peers stay the configured ones, so this node"
                            + " cannot take part in a membership change", self,
                            fixed.getMessage());
                }
            } else {
                LOG.error("node {}: the membership now needs the peers {}, but {}: this node"
                        + " keeps talking to {} only", self, next, fixed.getMessage(),
                        configured.keySet());
            }
        }
    }

    private void resolveLater(long seq, Map<PeerId, InetSocketAddress> ready,
            Map<PeerId, Address> names) {
        if (closed) {
            return;
        }
        if (resolver == null) {
            // One daemon thread that ends when idle (membership changes are rare), and room for
            // one set waiting: a newer set replaces it, since only the newest is ever given.
            ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(1), r -> {
                        Thread t = new Thread(r, threadName);
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.DiscardOldestPolicy());
            pool.allowCoreThreadTimeOut(true);
            resolver = pool;
            if (closed) { // close ran meanwhile and saw no pool
                pool.shutdownNow();
                return;
            }
        }
        try {
            resolver.execute(() -> resolve(seq, ready, names));
        } catch (RejectedExecutionException closing) {
            LOG.debug("node {}: peers not resolved: closing", self);
        }
    }

    /** Resolver thread. */
    private void resolve(long seq, Map<PeerId, InetSocketAddress> ready,
            Map<PeerId, Address> names) {
        Map<PeerId, InetSocketAddress> out = new TreeMap<>(ready);
        for (Map.Entry<PeerId, Address> e : names.entrySet()) {
            if (latest.get() != seq) {
                return; // a newer set was asked for: its own job resolves what it needs
            }
            Address a = e.getValue();
            try {
                out.put(e.getKey(), new InetSocketAddress(InetAddress.getByName(a.host),
                        a.port));
            } catch (UnknownHostException | SecurityException failed) {
                LOG.error("node {}: peer {} has the address '{}:{}', whose host cannot be"
                        + " resolved ({}); it is left out of the transport's peers", self,
                        e.getKey(), a.host, a.port, failed.toString());
            }
        }
        post.accept(new Resolved(seq, out));
    }

    /**
     * How a peer's address is written for the core ({@code io.zab.Membership}): host (an IPv6
     * literal in brackets) and port, the form {@link Address#parse} reads back.
     */
    static String format(InetSocketAddress a) {
        String host = a.getHostString();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return host + ":" + a.getPort();
    }

    /** A parsed {@code host:port}: a literal IP (resolved already) or a name to resolve. */
    static final class Address {
        final InetSocketAddress literal;
        final String host;
        final int port;

        private Address(InetSocketAddress literal, String host, int port) {
            this.literal = literal;
            this.host = host;
            this.port = port;
        }

        /**
         * Reads {@code host:port}: an IPv4 literal, an IPv6 literal in brackets, or a host
         * name (letters, digits, '-', '_' and '.'). Never looks a name up.
         *
         * @throws IllegalArgumentException saying what is wrong
         */
        static Address parse(String text) {
            if (text == null || text.isEmpty()) {
                throw new IllegalArgumentException("empty");
            }
            String host;
            String port;
            if (text.charAt(0) == '[') {
                int close = text.indexOf(']');
                if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("expected [IPv6 address]:port");
                }
                host = text.substring(1, close);
                port = text.substring(close + 2);
            } else {
                int colon = text.lastIndexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("no port: expected host:port");
                }
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
                if (host.indexOf(':') >= 0) {
                    throw new IllegalArgumentException("an IPv6 address goes in brackets:"
                            + " [address]:port");
                }
            }
            int p = port(port);
            if (text.charAt(0) == '[') {
                return new Address(new InetSocketAddress(ipv6(host), p), host, p);
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("no host");
            }
            if (host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
                return new Address(new InetSocketAddress(ipv4(host), p), host, p);
            }
            if (host.length() > MAX_HOST_CHARS || !host.chars().allMatch(c -> c == '.'
                    || c == '-' || c == '_' || (c < 128 && Character.isLetterOrDigit(c)))) {
                throw new IllegalArgumentException("not a host name");
            }
            return new Address(null, host, p);
        }

        private static int port(String text) {
            if (text.isEmpty() || text.length() > 5
                    || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("bad port '" + text + "'");
            }
            int p = Integer.parseInt(text);
            if (p < 1 || p > 65_535) {
                throw new IllegalArgumentException("port " + p + " out of 1 to 65535");
            }
            return p;
        }

        private static InetAddress ipv4(String host) {
            String[] parts = host.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("not an IPv4 address");
            }
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 3
                        || Integer.parseInt(parts[i]) > 255) {
                    throw new IllegalArgumentException("not an IPv4 address");
                }
                b[i] = (byte) Integer.parseInt(parts[i]);
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException impossible) { // four bytes are always an address
                throw new IllegalStateException(impossible);
            }
        }

        /** In brackets the JDK reads only a literal: no lookup can happen. */
        private static InetAddress ipv6(String host) {
            try {
                return InetAddress.getByName("[" + host + "]");
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IPv6 address");
            }
        }
    }
}
