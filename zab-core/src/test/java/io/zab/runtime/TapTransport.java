package io.zab.runtime;

import io.zab.PeerId;
import io.zab.protocol.message.Message;
import io.zab.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A transport that lets a test see every message its node sends, at the moment it sends it (on
 * the node's protocol thread, before the message leaves), and remembers the last message of
 * each type received from each peer.
 */
final class TapTransport implements Transport {
    /** Called on the protocol thread for each message sent, before it goes out. */
    interface Tap {
        void sending(TapTransport via, PeerId to, Message message);
    }

    /** One message sent, and whether the transport was already closed then. */
    record Sent(PeerId to, Message message, boolean afterClose) {
    }

    private final Transport inner;
    private final Tap tap;
    private final int incarnation;
    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final Map<String, Message> lastReceived = new ConcurrentHashMap<>();
    private volatile boolean closed;

    TapTransport(Transport inner, int incarnation, Tap tap) {
        this.inner = inner;
        this.incarnation = incarnation;
        this.tap = tap;
    }

    int incarnation() {
        return incarnation;
    }

    @Override
    public void start(PeerId self, Receiver receiver) throws Exception {
        inner.start(self, new Receiver() {
            @Override
            public void onMessage(PeerId from, Message message) {
                lastReceived.put(from + "/" + message.getClass().getSimpleName(), message);
                receiver.onMessage(from, message);
            }

            @Override
            public void onDisconnected(PeerId peer) {
                receiver.onDisconnected(peer);
            }
        });
    }

    /** The last message of this type that came from {@code from}, or null. */
    <M extends Message> M lastReceived(PeerId from, Class<M> type) {
        return type.cast(lastReceived.get(from + "/" + type.getSimpleName()));
    }

    @Override
    public void send(PeerId to, Message message) {
        sent.add(new Sent(to, message, closed));
        if (tap != null) {
            tap.sending(this, to, message);
        }
        inner.send(to, message);
    }

    @Override
    public void disconnect(PeerId peer) {
        inner.disconnect(peer);
    }

    @Override
    public void updatePeers(Map<PeerId, java.net.InetSocketAddress> peers) {
        inner.updatePeers(peers);
    }

    @Override
    public void close() {
        closed = true;
        inner.close();
    }

    boolean closed() {
        return closed;
    }

    List<Sent> sent() {
        return List.copyOf(sent);
    }
}
