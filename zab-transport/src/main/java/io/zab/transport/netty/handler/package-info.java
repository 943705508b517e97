/**
 * The per-connection Netty handlers: {@link io.zab.transport.netty.handler.HandshakeHandler}
 * (version, cluster id, sid and its identity, the peer secret's challenge-response; then out of
 * the way),
 * {@link io.zab.transport.netty.handler.InboundHandler} (hands decoded messages to the transport
 * and does nothing else) and {@link io.zab.transport.netty.handler.ConnectionGuard} (one WARN
 * naming peer and reason, then close, for whatever went wrong on a connection; a connection
 * still in its handshake is a stranger's, and {@link io.zab.transport.netty.handler.Strangers}
 * caps them, counts their refusals and logs those once a minute per address), and, on the
 * listening channel, {@link io.zab.transport.netty.handler.AcceptGuard} (a failed accept, such
 * as running out of file descriptors, reported and survived).
 *
 * <p>Threading: each handler instance belongs to one channel and runs on its event loop; the
 * callbacks they make into the transport run there too and must not block. {@code Strangers}
 * is shared by every loop of a transport and is thread-safe.
 */
package io.zab.transport.netty.handler;
