package io.zab.transport.netty.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.zab.transport.netty.codec.Handshake.Status;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    private static ByteBuf body(Handshake hs) {
        ByteBuf frame = hs.encode(ByteBufAllocator.DEFAULT);
        frame.skipBytes(Frames.HEADER_BYTES + 1);
        return frame;
    }

    @Test
    void roundTrips() {
        Handshake hs = Handshake.reply("cluster-é", 7, Status.REJECT, true, "because");
        ByteBuf b = body(hs);
        assertEquals(hs, Handshake.decode(b));
        b.release();
        Handshake hello = Handshake.hello("c", 2, false);
        ByteBuf h = body(hello);
        assertEquals(hello, Handshake.decode(h));
        h.release();
    }

    @Test
    void defectsAreNamed() {
        assertBad(Unpooled.wrappedBuffer(new byte[] {1, 2}), "truncated handshake");
        assertBad(Unpooled.buffer().writeInt(0x12345678).writeShort(1),
                "not a zab handshake (magic 0x12345678)");
        assertBad(Unpooled.buffer().writeInt(Handshake.MAGIC).writeShort(9),
                "protocol version 9 not supported (this node speaks 1)");
        ByteBuf status = body(Handshake.hello("c", 2, false));
        status.setByte(status.readerIndex() + 6, 9);
        assertBad(status, "bad handshake status 9");
        ByteBuf trailing = Unpooled.wrappedBuffer(body(Handshake.hello("c", 2, false)),
                Unpooled.wrappedBuffer(new byte[3]));
        assertBad(trailing, "3 trailing bytes after the handshake");
        ByteBuf lying = body(Handshake.hello("c", 2, false));
        lying.setByte(lying.readerIndex() + 12, 200);
        assertBad(lying, "truncated handshake");
    }

    private static void assertBad(ByteBuf in, String reason) {
        ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> Handshake.decode(in));
        assertEquals(reason, e.getMessage());
        in.release();
    }
}
