/**
 * The versioned binary form of every wire {@link io.zab.protocol.message.Message} and of
 * {@link io.zab.protocol.Txn}: {@code ByteBuffer} in, {@code ByteBuffer} out, with no Netty and no
 * I/O. Shared by zab-transport (frame payloads) and by the log files.
 *
 * <p>Stateless and thread-free: every method may be called from any thread. Decoding never trusts
 * a length before checking it against the bytes actually present, and fails only with the checked
 * {@link io.zab.codec.CodecException}.
 */
package io.zab.codec;
