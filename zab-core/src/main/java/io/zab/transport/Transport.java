package io.zab.transport;

import io.zab.PeerId;
import io.zab.protocol.message.Message;

/**
 * Carries messages between the members of one ensemble. Per peer, messages arrive in the order
 * they were sent, except that a PING or PINGACK may overtake messages sent before it (so a
 * backlog of data never makes a live peer look silent; the protocol never relies on their
 * order). A message may be lost only with its connection, and then the receiver of the
 * {@link Receiver} callbacks is told {@link Receiver#onDisconnected} before any message sent
 * after the loss is delivered (so both sides restart their conversation).
 *
 * <p>{@link #send} may be called from any thread and never blocks on the network. Receiver
 * callbacks come from the transport's own threads; they only enqueue and never block.
 *
 * <p><b>Back-pressure.</b> The receiver takes every message handed to it. After handing over
 * what it read, a transport asks {@link Receiver#hasRoom}: while that is false it stops reading
 * from the network (so TCP pushes back on the sender) until the node calls
 * {@link #resumeReading}. What a transport hands over in the meantime is bounded by what it had
 * already read, so the node's inbox stays within its bound plus one read per connection.
 */
public interface Transport extends AutoCloseable {
    /** Starts listening and connecting on behalf of {@code self}. */
    void start(PeerId self, Receiver receiver) throws Exception;

    /**
     * Queues a message to a peer; dropped (with a later onDisconnected) if it cannot go. A
     * message to a node that is not a peer now (removed, or named by the membership before
     * {@link #updatePeers} gave it) is dropped without one: no connection was lost.
     */
    void send(PeerId to, Message message);

    /**
     * Closes the connection to {@code peer}, if there is one, because it sent what no honest
     * peer sends: both ends are told {@link Receiver#onDisconnected} as for a broken connection,
     * after every message delivered from it. A later {@link #send} opens a new connection. Any
     * thread; never blocks. The default does nothing: the node has already dropped the message
     * and copes with a connection that stays open.
     */
    default void disconnect(PeerId peer) {
    }

    /**
     * The members this node talks to are now {@code peers} (this node excluded), after a
     * membership change: it dials and accepts the ones added, closes the connections of the ones
     * gone (with {@link Receiver#onDisconnected}) and refuses them afterwards. Any thread; never
     * blocks. The default refuses: a transport with fixed peers cannot change membership.
     */
    default void updatePeers(java.util.Map<PeerId, java.net.InetSocketAddress> peers) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " has a fixed set of peers");
    }

    /**
     * The node's inbox has room again: read again from every connection paused because
     * {@link Receiver#hasRoom} was false. Any thread; never blocks. A transport without
     * back-pressure (an in-process test network) ignores it.
     */
    default void resumeReading() {
    }

    /**
     * The largest encoded message (see {@code io.zab.codec.MessageCodec#encodedSize}) this
     * transport carries, SNAP aside; a node refuses a {@code maxTxnBytes} whose PROPOSAL would
     * not fit.
     */
    default int maxMessageBytes() {
        return Integer.MAX_VALUE;
    }

    @Override
    void close();

    /** Where a transport hands what arrives. */
    interface Receiver {
        /** Takes a message; never blocks. */
        void onMessage(PeerId from, Message message);

        void onDisconnected(PeerId peer);

        /**
         * The transport refused an incoming connection before its handshake completed (for
         * the node's metrics). Never blocks.
         */
        default void onHandshakeRefused() {
        }

        /**
         * False while the node's inbox is over its bound: the transport should stop reading
         * until {@link Transport#resumeReading}.
         */
        default boolean hasRoom() {
            return true;
        }
    }
}
