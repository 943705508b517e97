package io.zab.transport.netty.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A handshake frame; the first frames each way on a connection. The dialing side sends
 * {@link Status#HELLO}; the accepting side answers {@link Status#ACCEPT}, {@link Status#DIAL_BACK}
 * (it will open the connection itself: ZooKeeper's rule that only the higher sid's connection
 * survives) or {@link Status#REJECT} with a reason.
 *
 * <p>With a peer secret ({@link PeerAuth}) the HELLO carries the dialer's fresh nonce, and two
 * frames come between it and the answer: the acceptor's {@link Status#CHALLENGE} (its own fresh
 * nonce and its MAC over both) and the dialer's {@link Status#PROOF} (the dialer's MAC). The
 * acceptor answers ACCEPT or DIAL_BACK only to a valid PROOF; the dialer sends PROOF only after
 * checking the CHALLENGE's MAC. So HELLO(n_d) → CHALLENGE(n_a, mac_a) → PROOF(mac_d) →
 * ACCEPT/DIAL_BACK.
 *
 * <p>Body layout after the kind byte: {@code magic u32 ("ZAB!"), version u16, status u8,
 * flags u8, sid i32, clusterId (u8 length + UTF-8), reason (u16 length + UTF-8), nonce (u8
 * length: 0 or 16), mac (u8 length: 0 or 32)}. Magic and version come first so any later version
 * can change the rest (version 2 added nonce and mac). Flag {@code DROPPED} says the sender
 * dropped queued messages for this peer while no connection existed, so the receiver must report
 * a disconnect before it delivers anything from this connection.
 *
 * <p>Immutable (the arrays are copied in and out); any thread.
 */
public record Handshake(int version, String clusterId, int sid, Status status, boolean dropped,
        String reason, byte[] nonce, byte[] mac) {
    public static final int MAGIC = 0x5A41_4221;
    /** The only protocol version this code speaks. */
    public static final int PROTOCOL_VERSION = 2;
    private static final int FLAG_DROPPED = 1;
    private static final int MAX_REASON_BYTES = 512;
    private static final byte[] NONE = new byte[0];

    /** What a handshake frame says. Codes (the ordinals) are part of the wire format. */
    public enum Status {
        HELLO, ACCEPT, DIAL_BACK, REJECT, CHALLENGE, PROOF
    }

    public Handshake {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(status, "status");
        reason = reason == null ? "" : reason;
        nonce = nonce == null ? NONE : nonce.clone();
        mac = mac == null ? NONE : mac.clone();
        if (nonce.length != 0 && nonce.length != PeerAuth.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be empty or "
                    + PeerAuth.NONCE_BYTES + " bytes");
        }
        if (mac.length != 0 && mac.length != PeerAuth.MAC_BYTES) {
            throw new IllegalArgumentException("mac must be empty or " + PeerAuth.MAC_BYTES
                    + " bytes");
        }
    }

    /** A handshake without authentication fields. */
    public Handshake(int version, String clusterId, int sid, Status status, boolean dropped,
            String reason) {
        this(version, clusterId, sid, status, dropped, reason, NONE, NONE);
    }

    /** HELLO without authentication (no peer secret). */
    public static Handshake hello(String clusterId, int sid, boolean dropped) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, Status.HELLO, dropped, "");
    }

    /** HELLO that asks for the challenge-response, with the dialer's fresh nonce. */
    public static Handshake hello(String clusterId, int sid, boolean dropped, byte[] nonce) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, Status.HELLO, dropped, "", nonce,
                NONE);
    }

    public static Handshake reply(String clusterId, int sid, Status status, boolean dropped,
            String reason) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, status, dropped, reason);
    }

    /** The acceptor's fresh nonce and its MAC ({@link PeerAuth.Side#ACCEPTOR}). */
    public static Handshake challenge(String clusterId, int sid, byte[] nonce, byte[] mac) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, Status.CHALLENGE, false, "",
                nonce, mac);
    }

    /** The dialer's MAC ({@link PeerAuth.Side#DIALER}). */
    public static Handshake proof(String clusterId, int sid, byte[] mac) {
        return new Handshake(PROTOCOL_VERSION, clusterId, sid, Status.PROOF, false, "", NONE,
                mac);
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public byte[] mac() {
        return mac.clone();
    }

    /** Whether this frame carries a nonce (a HELLO that asks for authentication). */
    public boolean hasNonce() {
        return nonce.length != 0;
    }

    /** The whole frame, header included. */
    public ByteBuf encode(ByteBufAllocator alloc) {
        byte[] cluster = clusterId.getBytes(StandardCharsets.UTF_8);
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        if (cluster.length > 255) {
            throw new IllegalArgumentException("cluster id longer than 255 bytes");
        }
        int whyLength = Math.min(why.length, MAX_REASON_BYTES);
        int payload = 4 + 2 + 1 + 1 + 4 + 1 + cluster.length + 2 + whyLength
                + 1 + nonce.length + 1 + mac.length;
        ByteBuf buf = Frames.start(alloc, Frames.KIND_HANDSHAKE, payload);
        buf.writeInt(MAGIC).writeShort(version).writeByte(status.ordinal())
                .writeByte(dropped ? FLAG_DROPPED : 0).writeInt(sid)
                .writeByte(cluster.length).writeBytes(cluster)
                .writeShort(whyLength).writeBytes(why, 0, whyLength)
                .writeByte(nonce.length).writeBytes(nonce)
                .writeByte(mac.length).writeBytes(mac);
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
        byte[] nonce = bytes(in, "nonce", PeerAuth.NONCE_BYTES);
        byte[] mac = bytes(in, "mac", PeerAuth.MAC_BYTES);
        if (in.isReadable()) {
            throw new ProtocolViolation(in.readableBytes() + " trailing bytes after the handshake");
        }
        return new Handshake(version, cluster, sid, Status.values()[code],
                (flags & FLAG_DROPPED) != 0, why, nonce, mac);
    }

    private static byte[] bytes(ByteBuf in, String what, int size) {
        need(in, 1);
        int length = in.readUnsignedByte();
        if (length != 0 && length != size) {
            throw new ProtocolViolation("handshake " + what + " of " + length + " bytes (must be"
                    + " 0 or " + size + ")");
        }
        need(in, length);
        byte[] out = new byte[length];
        in.readBytes(out);
        return out;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Handshake h && version == h.version && sid == h.sid
                && dropped == h.dropped && status == h.status && clusterId.equals(h.clusterId)
                && reason.equals(h.reason) && Arrays.equals(nonce, h.nonce)
                && Arrays.equals(mac, h.mac);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, clusterId, sid, status, dropped, reason,
                Arrays.hashCode(nonce), Arrays.hashCode(mac));
    }

    @Override
    public String toString() {
        return "Handshake[" + status + " sid=" + sid + " cluster=" + clusterId + " version="
                + version + (dropped ? " dropped" : "") + (reason.isEmpty() ? "" : " reason="
                + reason) + (nonce.length > 0 ? " nonce" : "") + (mac.length > 0 ? " mac" : "")
                + "]";
    }
}
