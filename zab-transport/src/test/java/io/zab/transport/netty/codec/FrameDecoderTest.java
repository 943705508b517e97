package io.zab.transport.netty.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** The frame decoder alone, in an EmbeddedChannel. Limit: 64-byte messages, SNAP included. */
class FrameDecoderTest {
    private static final int MAX = 64;

    private static EmbeddedChannel channel(boolean open) {
        FrameDecoder decoder = new FrameDecoder(MAX);
        if (open) {
            decoder.openLimits();
        }
        return new EmbeddedChannel(decoder);
    }

    /** A frame whose message body (after the kind byte) is {@code payload}. */
    static ByteBuf frame(byte kind, byte[] payload) {
        ByteBuf f = Frames.start(ByteBufAllocator.DEFAULT, kind, payload.length);
        f.writeBytes(payload);
        return Frames.finish(f);
    }

    private static byte[] message(byte type, int totalBytes) {
        byte[] m = new byte[totalBytes];
        m[0] = 1;
        m[1] = type;
        for (int i = 2; i < totalBytes; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    @Test
    void framesSplitAtEveryByteAreReassembledInOrder() {
        byte[] a = ByteBufUtil.getBytes(frame(Frames.KIND_MESSAGE, message((byte) 13, 10)));
        byte[] b = ByteBufUtil.getBytes(frame(Frames.KIND_NOP, new byte[0]));
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        for (int cut = 0; cut <= both.length; cut++) {
            EmbeddedChannel ch = channel(true);
            ch.writeInbound(Unpooled.wrappedBuffer(both, 0, cut));
            ch.writeInbound(Unpooled.wrappedBuffer(both, cut, both.length - cut));
            ByteBuf first = ch.readInbound();
            ByteBuf second = ch.readInbound();
            assertEquals(Unpooled.wrappedBuffer(a, 8, a.length - 8), first, "cut " + cut);
            assertEquals(Unpooled.wrappedBuffer(b, 8, b.length - 8), second, "cut " + cut);
            assertNull(ch.readInbound());
            first.release();
            second.release();
            assertFalse(ch.finish());
        }
    }

    @Test
    void emptyFrameIsRefused() {
        assertRefused(channel(true), Unpooled.buffer().writeInt(0).writeInt(0),
                "empty frame (length 0)");
    }

    @Test
    void lengthIsCheckedFromTheHeaderAloneBeforeTheBodyArrives() {
        // Only 8 bytes arrive; a decoder that trusted the length would wait (or allocate) here.
        assertRefused(channel(false), Unpooled.buffer().writeInt(Integer.MAX_VALUE).writeInt(0),
                "frame length 2147483647 before the handshake exceeds 1024");
        assertRefused(channel(true), Unpooled.buffer().writeInt(-1).writeInt(0),
                "frame length 4294967295 exceeds the limit of 65");
    }

    @Test
    void handshakeLimitAppliesUntilOpened() {
        ByteBuf big = frame(Frames.KIND_HANDSHAKE, new byte[Frames.MAX_HANDSHAKE_BODY]);
        assertRefused(channel(false), big, "frame length 1025 before the handshake exceeds 1024");
    }

    /** The limit is exact, and the same for SNAP (type 7): no frame carries a snapshot. */
    @Test
    void messageLimitIsExactAndTheSameForSnap() {
        EmbeddedChannel ch = channel(true);
        ch.writeInbound(frame(Frames.KIND_MESSAGE, message((byte) 13, MAX)));
        ByteBuf ok = ch.readInbound();
        assertEquals(MAX + 1, ok.readableBytes());
        ok.release();
        assertRefused(channel(true), frame(Frames.KIND_MESSAGE, message((byte) 13, MAX + 1)),
                "frame length 66 exceeds the limit of 65");
        assertRefused(channel(true), frame(Frames.KIND_MESSAGE, message((byte) 7, MAX + 1)),
                "frame length 66 exceeds the limit of 65");
    }

    @Test
    void crcMismatchIsRefused() {
        ByteBuf f = frame(Frames.KIND_MESSAGE, message((byte) 13, 10));
        int good = f.getInt(4);
        f.setByte(12, f.getByte(12) ^ 0x10);
        int actual = Frames.crc32c(f, 8, 11);
        assertRefused(channel(true), f, "CRC32C mismatch on a frame of 11 bytes (header 0x"
                + Integer.toHexString(good) + ", body 0x" + Integer.toHexString(actual) + ")");
    }

    @Test
    void aHalfFrameAtCloseIsDiscardedAndReported() {
        EmbeddedChannel ch = channel(true);
        ByteBuf f = frame(Frames.KIND_MESSAGE, message((byte) 13, 10));
        ch.writeInbound(f.readRetainedSlice(12));
        f.release();
        assertNull(ch.readInbound());
        ch.close();
        ProtocolViolation e = assertThrows(ProtocolViolation.class, ch::checkException);
        assertEquals("connection closed inside a frame: got 12 bytes of a frame of 19; discarded",
                e.getMessage());
        assertNull(ch.readInbound());

        EmbeddedChannel header = channel(false);
        header.writeInbound(Unpooled.buffer().writeInt(3));
        header.close();
        e = assertThrows(ProtocolViolation.class, header::checkException);
        assertEquals("connection closed inside a frame: got 4 bytes of a frame header of 8;"
                + " discarded", e.getMessage());
    }

    @Test
    void afterAViolationTheRestOfTheInputIsIgnored() {
        EmbeddedChannel ch = channel(true);
        assertThrows(ProtocolViolation.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(0).writeInt(0)));
        ch.writeInbound(frame(Frames.KIND_NOP, new byte[0]));
        assertNull(ch.readInbound());
        assertTrue(ch.isOpen()); // closing is the guard's job, not the decoder's
    }

    private static void assertRefused(EmbeddedChannel ch, ByteBuf input, String reason) {
        ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> ch.writeInbound(input));
        assertEquals(reason, e.getMessage());
        assertNull(ch.readInbound());
    }
}
