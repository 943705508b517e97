package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the byte stream into frames ({@link Frames}) and checks each: the length against the
 * limit before waiting for (or allocating) the body, then the CRC32C over the body. Emits the
 * body (kind byte first) as a retained slice. Before the handshake only
 * {@link Frames#MAX_HANDSHAKE_BODY} bytes are allowed; {@link #openLimits()} raises the limit to
 * the configured message size. Every message has the same limit: a snapshot travels in chunks
 * no larger than a txn.
 *
 * <p>Any defect throws {@link ProtocolViolation} once and skips the rest of the input; the
 * connection guard logs it and closes. A partial frame left when the connection closes is
 * discarded and reported the same way. One instance per channel, on its event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxMessageBody;
    private boolean open;
    private boolean failed;
    private long expectedBody = -1;

    /** Limits are on the encoded message; the kind byte comes on top. */
    public FrameDecoder(int maxMessageBytes) {
        this.maxMessageBody = maxMessageBytes + Frames.KIND_BYTES;
    }

    /** Called once the handshake is done, on the channel's event loop. */
    public void openLimits() {
        open = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Frames.HEADER_BYTES) {
            return;
        }
        int start = in.readerIndex();
        long length = in.getUnsignedInt(start);
        String tooLong = checkLength(length);
        if (!tooLong.isEmpty()) {
            fail(in, tooLong);
        }
        expectedBody = length;
        if (in.readableBytes() < Frames.HEADER_BYTES + length) {
            return;
        }
        int body = (int) length;
        int crc = in.getInt(start + 4);
        int actual = Frames.crc32c(in, start + Frames.HEADER_BYTES, body);
        if (crc != actual) {
            fail(in, "CRC32C mismatch on a frame of " + body + " bytes (header 0x"
                    + Integer.toHexString(crc) + ", body 0x" + Integer.toHexString(actual) + ")");
        }
        in.skipBytes(Frames.HEADER_BYTES);
        out.add(in.readRetainedSlice(body));
        expectedBody = -1;
    }

    /** "" if the length is allowed, otherwise the reason to refuse. */
    private String checkLength(long length) {
        if (length < Frames.KIND_BYTES) {
            return "empty frame (length 0)";
        }
        if (!open) {
            return length <= Frames.MAX_HANDSHAKE_BODY ? "" : "frame length " + length
                    + " before the handshake exceeds " + Frames.MAX_HANDSHAKE_BODY;
        }
        return length <= maxMessageBody ? "" : "frame length " + length
                + " exceeds the limit of " + maxMessageBody;
    }

    private void fail(ByteBuf in, String reason) {
        failed = true;
        in.skipBytes(in.readableBytes());
        throw new ProtocolViolation(reason);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        int left = actualReadableBytes();
        if (!failed && left > 0) {
            failed = true;
            String of = expectedBody < 0 ? "a frame header of " + Frames.HEADER_BYTES
                    : "a frame of " + (Frames.HEADER_BYTES + expectedBody);
            ctx.fireExceptionCaught(new ProtocolViolation("connection closed inside a frame: got "
                    + left + " bytes of " + of + "; discarded"));
            internalBuffer().skipBytes(left);
        }
        super.channelInactive(ctx);
    }
}
