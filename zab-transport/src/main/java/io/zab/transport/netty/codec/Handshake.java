package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The first frame each way on a connection. The dialing side sends {@link Status#HELLO}; the
 * accepting side answers {@link Status#ACCEPT}, {@link Status#DIAL_BACK} (it will open the
 * connection itself: ZooKeeper's rule that only the higher sid's connection survives) or
 * {@link Status#REJECT} with a reason.
 *
 * <p>Body layout after the kind byte: {@code magic u32 ("ZAB!"), version u16, status u8,
 * flags u8, sid i32, clusterId (u8 length + UTF-8), reason (u16 length + UTF-8)}. Magic and
 * version come first so any later version can change the rest. Flag {@code DROPPED} says the
 * sender dropped queued messages for this peer while no connection existed, so the receiver
 * must report a disconnect before it delivers anything from this connection.
 *
 * <p>Immutable; any thread.
 */
public record Handshake(int version, String clusterId, int sid, Status status, boolean dropped,
        String reason) {
    public static final int MAGIC = 0x5A41_4221;
    /** The only protocol version this code speaks. */
    public static final int PROTOCOL_VERSION = 1;
    private static final int FLAG_DROPPED = 1;
    private static final int MAX_REASON_BYTES = 512;

    /** What a handshake frame says. Codes are part of the wire format. */
    public enum Status {
        HELLO, ACCEPT, DIAL_BACK, REJECT
    }

    public Handshake {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(status, "status");
        reason = reason == null ? "" : reason;
    }

    public static Handshake hello(String clusterId, int sid, boolean dropped) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, Status.HELLO, dropped, "");
    }

    public static Handshake reply(String clusterId, int sid, Status status, boolean dropped,
            String reason) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, status, dropped, reason);
    }

    /** The whole frame, header included. */
    public ByteBuf encode(ByteBufAllocator alloc) {
        byte[] cluster = clusterId.getBytes(StandardCharsets.UTF_8);
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        if (cluster.length > 255) {
            throw new IllegalArgumentException("cluster id longer than 255 bytes");
        }
        int whyLength = Math.min(why.length, MAX_REASON_BYTES);
        int payload = 4 + 2 + 1 + 1 + 4 + 1 + cluster.length + 2 + whyLength;
        ByteBuf buf = Frames.start(alloc, Frames.KIND_HANDSHAKE, payload);
        buf.writeInt(MAGIC).writeShort(version).writeByte(status.ordinal())
                .writeByte(dropped ? FLAG_DROPPED : 0).writeInt(sid)
                .writeByte(cluster.length).writeBytes(cluster)
                .writeShort(whyLength).writeBytes(why, 0, whyLength);
        return Frames.finish(buf);
    }

    /** Reads the body after the kind byte; every defect is a {@link ProtocolViolation}. */
    public static Handshake decode(ByteBuf in) {
        need(in, 6);
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new ProtocolViolation("not a zab handshake (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int version = in.readUnsignedShort();
        if (version != PROTOCOL_VERSION) {
            throw new ProtocolViolation("protocol version " + version
                    + " not supported (this node speaks " + PROTOCOL_VERSION + ")");
        }
        need(in, 1 + 1 + 4 + 1);
        int code = in.readUnsignedByte();
        if (code >= Status.values().length) {
            throw new ProtocolViolation("bad handshake status " + code);
        }
        int flags = in.readUnsignedByte();
        int sid = in.readInt();
        String cluster = string(in, in.readUnsignedByte());
        need(in, 2);
        String why = string(in, in.readUnsignedShort());
        if (in.isReadable()) {
            throw new ProtocolViolation(in.readableBytes() + " trailing bytes after the handshake");
        }
        return new Handshake(version, cluster, sid, Status.values()[code],
                (flags & FLAG_DROPPED) != 0, why);
    }

    private static String string(ByteBuf in, int length) {
        need(in, length);
        String s = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.skipBytes(length);
        return s;
    }

    private static void need(ByteBuf in, int bytes) {
        if (in.readableBytes() < bytes) {
            throw new ProtocolViolation("truncated handshake");
        }
    }
}
