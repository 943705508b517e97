/**
 * Framing and the thin adapters between Netty buffers and {@link io.zab.codec.MessageCodec}:
 * {@link io.zab.transport.netty.codec.FrameDecoder} (length checked before anything is
 * allocated, CRC32C per frame), {@link io.zab.transport.netty.codec.MessageDecoder},
 * {@link io.zab.transport.netty.codec.MessageEncoder}, the
 * {@link io.zab.transport.netty.codec.Handshake} frame and
 * {@link io.zab.transport.netty.codec.PeerAuth}, its HMAC-SHA256 challenge-response (thread-safe).
 *
 * <p>Threading: every handler instance belongs to one channel and runs on that channel's event
 * loop; the static helpers are stateless and may be called from any thread. Bad input is
 * reported as {@link io.zab.transport.netty.codec.ProtocolViolation}, never silently fixed.
 */
package io.zab.transport.netty.codec;
