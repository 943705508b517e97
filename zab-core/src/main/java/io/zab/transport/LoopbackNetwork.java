package io.zab.transport;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-process network for tests and demos: each node's {@link Transport} from
 * {@link #transport()} delivers on one thread per receiving node, FIFO per pair. Links can be cut
 * ({@link #cut}); both ends are told, as a broken TCP connection would tell them.
 *
 * <p>A transport talks to every other one on the network until {@link Transport#updatePeers}
 * names its peers (addresses are ignored; ids are what count here). From then on, as over TCP:
 * a message to a non-peer is dropped; a message from a non-peer is dropped, and its sender is
 * told {@code onDisconnected} as if the connection were refused; a peer removed is told, at both
 * ends, once, after whatever it had delivered; and what it sent that was still queued is
 * dropped with it.
 */
public final class LoopbackNetwork {
    private final Map<PeerId, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Set<String> cut = ConcurrentHashMap.newKeySet();
    private final Set<String> blackholed = ConcurrentHashMap.newKeySet();

    public Transport transport() {
        return new Endpoint();
    }

    private static String key(PeerId a, PeerId b) {
        return a.compareTo(b) < 0 ? a + "-" + b : b + "-" + a;
    }

    /** Breaks the link between a and b until {@link #heal}. */
    public void cut(PeerId a, PeerId b) {
        cut.add(key(a, b));
        notifyDisconnect(a, b);
        notifyDisconnect(b, a);
    }

    public void heal(PeerId a, PeerId b) {
        cut.remove(key(a, b));
        blackholed.remove(key(a, b));
    }

    /**
     * Silently drops everything between a and b, telling neither (a stalled link that TCP has
     * not noticed yet), until {@link #heal}.
     */
    public void blackhole(PeerId a, PeerId b) {
        blackholed.add(key(a, b));
    }

    private void notifyDisconnect(PeerId at, PeerId peer) {
        Endpoint e = endpoints.get(at);
        if (e != null) {
            e.inbox.add(new Item(peer, null, false));
        }
    }

    /**
     * A message, or a disconnect when {@code message} is null. {@code last} marks the
     * disconnect that ends a removed peer's link: it is told though the peer is gone.
     */
    private record Item(PeerId from, Message message, boolean last) {
    }

    private final class Endpoint implements Transport {
        private final LinkedBlockingQueue<Item> inbox = new LinkedBlockingQueue<>();
        private volatile PeerId self;
        private volatile boolean open;
        /** Who this endpoint talks to; null until {@link #updatePeers}: everyone. */
        private volatile Set<PeerId> peers;
        private Thread thread;

        @Override
        public void start(PeerId id, Receiver receiver) {
            self = id;
            open = true;
            endpoints.put(id, this);
            thread = new Thread(() -> pump(receiver), "loopback-" + id);
            thread.setDaemon(true);
            thread.start();
        }

        private void pump(Receiver receiver) {
            try {
                while (open) {
                    Item i = inbox.poll(100, TimeUnit.MILLISECONDS);
                    if (i == null) {
                        continue;
                    }
                    if (!i.last() && !accepts(i.from())) {
                        continue; // a removed peer's word that was still queued
                    }
                    if (i.message() == null) {
                        receiver.onDisconnected(i.from());
                    } else {
                        receiver.onMessage(i.from(), i.message());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private boolean accepts(PeerId peer) {
            Set<PeerId> p = peers;
            return p == null || p.contains(peer);
        }

        @Override
        public void send(PeerId to, Message message) {
            if (!accepts(to)) {
                return; // a member that left; its link's end was told already
            }
            Endpoint peer = endpoints.get(to);
            if (peer == null || !peer.open || cut.contains(key(self, to))
                    || !peer.accepts(self)) {
                inbox.add(new Item(to, null, false));
                return;
            }
            if (!blackholed.contains(key(self, to))) {
                peer.inbox.add(new Item(self, message, false));
            }
        }

        /**
         * Only ids count here. Both ends of a removed peer's link hear of it: this one after
         * every message the peer had queued to it (which are dropped), the peer after anything
         * already queued from this one.
         */
        @Override
        public synchronized void updatePeers(Map<PeerId, InetSocketAddress> next) {
            if (next.containsKey(self)) {
                throw new IllegalArgumentException("peers must not name this node (" + self
                        + ")");
            }
            Set<PeerId> before = peers;
            Set<PeerId> gone = new HashSet<>(before != null ? before : endpoints.keySet());
            gone.remove(self);
            gone.removeAll(next.keySet());
            peers = Set.copyOf(next.keySet());
            for (PeerId p : gone) {
                inbox.add(new Item(p, null, true));
                Endpoint other = endpoints.get(p);
                if (other != null) {
                    other.inbox.add(new Item(self, null, false));
                }
            }
        }

        /** Both ends hear of it, as of a cut that heals at once. */
        @Override
        public void disconnect(PeerId peer) {
            notifyDisconnect(self, peer);
            notifyDisconnect(peer, self);
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            endpoints.remove(self, this);
            for (Endpoint e : endpoints.values()) {
                e.inbox.add(new Item(self, null, false));
            }
        }
    }
}
