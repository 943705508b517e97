package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The frame layout: {@code [length u32][crc32c u32][body]}, where {@code length} counts the
 * body, the CRC32C covers the body, and the body's first byte is the frame kind. TCP's 16-bit
 * checksum misses too much (TigerBeetle's lesson), so every frame carries its own; a mismatch
 * closes the connection.
 *
 * <p>Stateless; any thread.
 */
public final class Frames {
    /** Bytes before the body: length and CRC32C. */
    public static final int HEADER_BYTES = 8;
    /** Body = kind byte + payload. */
    public static final int KIND_BYTES = 1;
    /** The first frame each way: {@link Handshake}. */
    public static final byte KIND_HANDSHAKE = 'H';
    /** A {@link io.zab.protocol.message.Message} encoded by {@link io.zab.codec.MessageCodec}. */
    public static final byte KIND_MESSAGE = 'M';
    /**
     * Several messages in one frame, each {@code [length u32][encoding]}: the small messages of
     * one flush share one buffer, one CRC and one socket write instead of paying each.
     */
    public static final byte KIND_BATCH = 'B';
    /** Bytes before each message in a batch frame: its length. */
    public static final int BATCH_ENTRY_BYTES = 4;
    /**
     * The most payload a batch frame carries (capped by the frame limit): big enough that small
     * messages share their costs, small enough that one frame never holds a loop for long. A
     * message too big to share goes in a frame of its own.
     */
    public static final int BATCH_TARGET_BYTES = 64 << 10;
    /** Carries nothing; sent to test whether a connection is still alive. */
    public static final byte KIND_NOP = 'N';
    /** Largest handshake body; a peer that has not shaken hands gets no more room than this. */
    public static final int MAX_HANDSHAKE_BODY = 1024;

    private Frames() {
    }

    /** CRC32C of {@code length} readable bytes from {@code index}, without copying. */
    public static int crc32c(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        }
        return (int) crc.getValue();
    }

    /** Allocates a frame with room for {@code payloadBytes} after the kind byte. */
    public static ByteBuf start(ByteBufAllocator alloc, byte kind, int payloadBytes) {
        ByteBuf buf = alloc.ioBuffer(HEADER_BYTES + KIND_BYTES + payloadBytes);
        buf.writeInt(0).writeInt(0).writeByte(kind);
        return buf;
    }

    /** Fills in length and CRC once the body (from the frame's start) is written. */
    public static ByteBuf finish(ByteBuf frame) {
        int start = frame.readerIndex();
        int bodyLength = frame.writerIndex() - start - HEADER_BYTES;
        frame.setInt(start, bodyLength);
        frame.setInt(start + 4, crc32c(frame, start + HEADER_BYTES, bodyLength));
        return frame;
    }

    /** A frame with just a kind byte. */
    public static ByteBuf empty(ByteBufAllocator alloc, byte kind) {
        return finish(start(alloc, kind, 0));
    }
}
