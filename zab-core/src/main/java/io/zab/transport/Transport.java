package io.zab.transport;

import io.zab.PeerId;
import io.zab.protocol.message.Message;

/**
 * Carries messages between the members of one ensemble. Per peer, messages arrive in the order
 * they were sent; a message may be lost only with its connection, and then the receiver of the
 * {@link Receiver} callbacks is told {@link Receiver#onDisconnected} before any message sent
 * after the loss is delivered (so both sides restart their conversation).
 *
 * <p>{@link #send} may be called from any thread and never blocks on the network. Receiver
 * callbacks come from the transport's own threads; they must only enqueue.
 */
public interface Transport extends AutoCloseable {
    /** Starts listening and connecting on behalf of {@code self}. */
    void start(PeerId self, Receiver receiver) throws Exception;

    /** Queues a message to a peer; dropped (with a later onDisconnected) if it cannot go. */
    void send(PeerId to, Message message);

    @Override
    void close();

    /** Where a transport hands what arrives. */
    interface Receiver {
        void onMessage(PeerId from, Message message);

        void onDisconnected(PeerId peer);
    }
}
