/**
 * The per-connection Netty handlers: {@link io.zab.transport.netty.handler.HandshakeHandler}
 * (version, cluster id, sid and its identity; then out of the way),
 * {@link io.zab.transport.netty.handler.InboundHandler} (hands decoded messages to the transport
 * and does nothing else) and {@link io.zab.transport.netty.handler.ConnectionGuard} (one WARN
 * naming peer and reason, then close, for whatever went wrong on a connection).
 *
 * <p>Threading: each handler instance belongs to one channel and runs on its event loop; the
 * callbacks they make into the transport run there too and must not block.
 */
package io.zab.transport.netty.handler;
