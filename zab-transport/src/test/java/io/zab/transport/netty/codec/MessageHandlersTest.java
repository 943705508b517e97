package io.zab.transport.netty.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.zab.Zxid;
import io.zab.codec.MessageCodec;
import io.zab.codec.RandomMessages;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.Snap;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** MessageEncoder, FrameDecoder and MessageDecoder together, in EmbeddedChannels. */
class MessageHandlersTest {
    private static final int MAX = 4_096;

    private static EmbeddedChannel encoder() {
        return new EmbeddedChannel(new MessageEncoder(MAX));
    }

    private static EmbeddedChannel decoder() {
        FrameDecoder frames = new FrameDecoder(MAX);
        frames.openLimits();
        return new EmbeddedChannel(frames, new MessageDecoder());
    }

    @Test
    void everyTypeSurvivesEncoderAndDecoders() {
        RandomMessages gen = new RandomMessages(5, 200);
        EmbeddedChannel out = encoder();
        EmbeddedChannel in = decoder();
        for (int i = 0; i < 1_000; i++) {
            Message m = gen.next(i % RandomMessages.TYPES);
            out.writeOutbound(m);
            ByteBuf frame = out.readOutbound();
            assertEquals(Frames.HEADER_BYTES + 1 + MessageCodec.encodedSize(m),
                    frame.readableBytes());
            in.writeInbound(frame);
            Message back = in.readInbound();
            // Byte-exact re-encoding covers the records that hold arrays.
            assertArrayEquals(MessageCodec.encode(m), MessageCodec.encode(back), m.toString());
            assertEquals(m.getClass(), back.getClass());
        }
    }

    @Test
    void nothingMayExceedTheFrameLimitNotEvenASnapshotChunk() {
        EmbeddedChannel out = encoder();
        out.writeOutbound(new Snap(1, Zxid.ZERO, MAX * 2, 0));
        ByteBuf frame = out.readOutbound();
        EmbeddedChannel in = decoder();
        in.writeInbound(frame);
        assertEquals(MAX * 2, ((Snap) in.readInbound()).size());
        EmbeddedChannel chunk = encoder();
        assertThrows(ProtocolViolation.class, () -> chunk.writeOutbound(
                new io.zab.protocol.message.SnapChunk(1, Zxid.ZERO, 0, new byte[MAX])));

        EmbeddedChannel tooBig = encoder();
        ProtocolViolation e = assertThrows(ProtocolViolation.class,
                () -> tooBig.writeOutbound(new Request(1, new byte[MAX])));
        assertEquals("cannot send Request: 4114 bytes exceed the frame limit of 4096",
                e.getMessage());
        assertNull(tooBig.readOutbound());
    }

    /**
     * The outbox's writes (void promise) between two flushes share batch frames of at most
     * BATCH_TARGET_BYTES (here the 4 KiB frame limit); a message written with a promise of its
     * own goes alone, after the batch before it: order is kept across both.
     */
    @Test
    void voidPromiseWritesShareBatchFramesInOrder() {
        RandomMessages gen = new RandomMessages(11, 300);
        EmbeddedChannel out = encoder();
        java.util.List<Message> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Message m = gen.next(i % RandomMessages.TYPES);
            if (MessageCodec.encodedSize(m) + Frames.BATCH_ENTRY_BYTES > MAX) {
                continue;
            }
            sent.add(m);
            if (i == 120) {
                out.write(m); // a promise of its own: a frame of its own
            } else {
                out.write(m, out.voidPromise());
            }
        }
        assertNull(out.readOutbound(), "nothing before the flush but full batches");
        out.flush();
        EmbeddedChannel in = decoder();
        int frames = 0;
        int batches = 0;
        for (ByteBuf f; (f = out.readOutbound()) != null; frames++) {
            assertTrue(f.readableBytes() <= Frames.HEADER_BYTES + 1 + MAX, "frame limit");
            if (f.getByte(f.readerIndex() + Frames.HEADER_BYTES) == Frames.KIND_BATCH) {
                batches++;
            }
            in.writeInbound(f);
        }
        assertTrue(frames < sent.size() / 4, frames + " frames for " + sent.size());
        assertTrue(batches >= 2, "batches " + batches);
        for (Message m : sent) {
            Message back = in.readInbound();
            assertArrayEquals(MessageCodec.encode(m), MessageCodec.encode(back), m.toString());
        }
        assertNull(in.readInbound());
    }

    @Test
    void badBatchFramesAreViolationsAndDeliverNothing() {
        byte[] commit = MessageCodec.encode(new Commit(new Zxid(1, 1)));
        ByteBuffer good = ByteBuffer.allocate(4 + commit.length).putInt(commit.length)
                .put(commit);
        assertViolation(FrameDecoderTest.frame(Frames.KIND_BATCH, new byte[0]),
                "empty batch frame");
        // One good entry, then a length beyond the frame: the good one is not delivered either.
        byte[] over = ByteBuffer.allocate(good.capacity() + 4 + 3).put(good.array())
                .putInt(100).put(new byte[3]).array();
        assertViolation(FrameDecoderTest.frame(Frames.KIND_BATCH, over), "batch entry 1 at"
                + " offset " + good.capacity() + ": length 100 but 3 bytes left in the frame");
        byte[] shortTail = ByteBuffer.allocate(good.capacity() + 2).put(good.array()).array();
        assertViolation(FrameDecoderTest.frame(Frames.KIND_BATCH, shortTail), "batch entry 1 at"
                + " offset " + good.capacity() + ": 2 bytes left, too few for its length");
        byte[] zero = ByteBuffer.allocate(4).putInt(0).array();
        assertViolation(FrameDecoderTest.frame(Frames.KIND_BATCH, zero),
                "batch entry 0 at offset 0: length 0 but 0 bytes left in the frame");
        byte[] cut = ByteBuffer.allocate(4 + commit.length - 3).putInt(commit.length - 3)
                .put(commit, 0, commit.length - 3).array();
        assertViolation(FrameDecoderTest.frame(Frames.KIND_BATCH, cut), "bad message: batch"
                + " entry 0 at offset 0: truncated COMMIT: field zxid needs 8 bytes at offset 2,"
                + " only 5 left");
    }

    @Test
    void nopFramesAreSwallowed() {
        EmbeddedChannel in = decoder();
        in.writeInbound(FrameDecoderTest.frame(Frames.KIND_NOP, new byte[0]));
        assertNull(in.readInbound());
    }

    @Test
    void undecodableBodiesAreViolationsNamingTheProblem() {
        assertViolation(FrameDecoderTest.frame(Frames.KIND_MESSAGE,
                new byte[] {MessageCodec.VERSION, 0x7f}),
                "bad message: unknown message type 0x7f at offset 1");
        byte[] commit = MessageCodec.encode(new Commit(Zxid.ZERO));
        byte[] cut = java.util.Arrays.copyOf(commit, commit.length - 3);
        assertViolation(FrameDecoderTest.frame(Frames.KIND_MESSAGE, cut),
                "bad message: truncated COMMIT: field zxid needs 8 bytes at offset 2, only 5 left");
        assertViolation(FrameDecoderTest.frame((byte) 'Z', new byte[0]),
                "unknown frame kind 0x5a");
        assertViolation(FrameDecoderTest.frame(Frames.KIND_HANDSHAKE, new byte[4]),
                "handshake frame after the handshake");
    }

    @Test
    void otherOutboundObjectsPassThroughUntouched() {
        EmbeddedChannel out = encoder();
        ByteBuf nop = Frames.empty(out.alloc(), Frames.KIND_NOP);
        byte[] bytes = ByteBufUtil.getBytes(nop);
        out.writeOutbound(nop);
        ByteBuf passed = out.readOutbound();
        assertArrayEquals(bytes, ByteBufUtil.getBytes(passed));
        passed.release();
    }

    private static void assertViolation(ByteBuf frame, String reason) {
        EmbeddedChannel in = decoder();
        ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> in.writeInbound(frame));
        assertEquals(reason, e.getMessage());
        assertNull(in.readInbound());
    }
}
