package io.zab.transport;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-process network for tests and demos: each node's {@link Transport} from
 * {@link #transport()} delivers on one thread per receiving node, FIFO per pair. Links can be cut
 * ({@link #cut}); both ends are told, as a broken TCP connection would tell them.
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
            e.inbox.add(new Item(peer, null));
        }
    }

    private record Item(PeerId from, Message message) {
    }

    private final class Endpoint implements Transport {
        private final LinkedBlockingQueue<Item> inbox = new LinkedBlockingQueue<>();
        private volatile PeerId self;
        private volatile boolean open;
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

        @Override
        public void send(PeerId to, Message message) {
            Endpoint peer = endpoints.get(to);
            if (peer == null || !peer.open || cut.contains(key(self, to))) {
                inbox.add(new Item(to, null));
                return;
            }
            if (!blackholed.contains(key(self, to))) {
                peer.inbox.add(new Item(self, message));
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
                e.inbox.add(new Item(self, null));
            }
        }
    }
}
