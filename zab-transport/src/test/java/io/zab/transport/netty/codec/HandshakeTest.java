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
        byte[] nonce = new byte[PeerAuth.NONCE_BYTES];
        nonce[3] = 9;
        byte[] mac = new byte[PeerAuth.MAC_BYTES];
        mac[31] = 1;
        for (Handshake auth : new Handshake[] {Handshake.hello("c", 2, true, nonce),
            Handshake.challenge("c", 3, nonce, mac), Handshake.proof("c", 2, mac)}) {
            ByteBuf a = body(auth);
            assertEquals(auth, Handshake.decode(a));
            a.release();
        }
    }

    @Test
    void nonceAndMacMustHaveTheirSizes() {
        ByteBuf hello = body(Handshake.hello("c", 2, false));
        ByteBuf bad = Unpooled.buffer().writeBytes(hello, hello.readableBytes() - 2)
                .writeByte(5).writeBytes(new byte[5]).writeByte(0);
        hello.release();
        assertBad(bad, "handshake nonce of 5 bytes (must be 0 or 16)");
        ByteBuf proof = body(Handshake.proof("c", 2, new byte[PeerAuth.MAC_BYTES]));
        ByteBuf cut = proof.slice(proof.readerIndex(), proof.readableBytes() - 1);
        assertBad(cut, "truncated handshake");
    }

    @Test
    void defectsAreNamed() {
        assertBad(Unpooled.wrappedBuffer(new byte[] {1, 2}), "truncated handshake");
        assertBad(Unpooled.buffer().writeInt(0x12345678).writeShort(1),
                "not a zab handshake (magic 0x12345678)");
        assertBad(Unpooled.buffer().writeInt(Handshake.MAGIC).writeShort(9),
                "protocol version 9 not supported (this node speaks 2)");
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
