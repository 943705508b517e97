package io.zab.codec;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/**
 * The binary form of every {@link Message} and of a {@link Txn}.
 *
 * <p>A message is {@code [version u8][type u8][fields]}, big-endian, with the field layout of its
 * type (see {@code WireType}). The version byte lets a reader refuse an encoding it does not know
 * instead of misreading it; this is version {@value #VERSION}. Encoding writes into a buffer the
 * caller owns (a Netty frame, a reused log buffer), so the codec itself allocates nothing but the
 * byte arrays a decoded message must own.
 *
 * <p>Decoding takes every remaining byte of the buffer as one encoding: missing bytes, extra
 * bytes, an unknown version or type, a length beyond the bytes present, an unknown enum code or
 * txn kind, a membership that does not decode (or not in its one encoding) and a non-positive
 * peer id each fail with a {@link CodecException} naming the field and offset.
 * Every 64-bit value is a valid packed zxid and every unsigned 32-bit value a valid epoch, so
 * those cannot be invalid on the wire.
 *
 * <p>Stateless; any thread.
 */
public final class MessageCodec {
    /** The encoding version written by this codec and the only one it reads. */
    public static final byte VERSION = 4;
    /** Bytes before a message's fields: version and type. */
    public static final int HEADER_BYTES = 2;
    /** Offset of the type byte within an encoding. */
    public static final int TYPE_OFFSET = 1;
    /** The type byte of SNAP, for frame readers that allow snapshots a larger size. */
    public static final byte SNAP_TYPE = 7;

    static {
        assert WireType.SNAP.code == SNAP_TYPE;
    }

    /** {@link Membership#encode()}'s length for the largest membership. */
    static final int LARGEST_MEMBERSHIP_BYTES = largestMembershipBytes();

    private MessageCodec() {
    }

    /**
     * The largest encoding of a message that carries one txn of {@code txnBytes} (PROPOSAL,
     * INFORM, REQUEST) or a membership (a membership txn, NEWLEADER): what a transport's frame
     * limit must hold for txns of that size. A membership is not bounded by the host's txn
     * limit, so a small {@code txnBytes} still leaves room for the largest one.
     */
    public static int txnMessageBytes(int txnBytes) {
        byte[] empty = new byte[0];
        Txn txn = new Txn(Zxid.ZERO, empty);
        PeerId origin = new PeerId(1);
        int header = Math.max(encodedSize(new Proposal(txn, origin, 0)),
                Math.max(encodedSize(new Inform(txn, origin, 0)),
                        encodedSize(new Request(0, empty, 0))));
        int hostTxn = WireType.sum(header, txnBytes);
        int membershipTxn = WireType.sum(header, LARGEST_MEMBERSHIP_BYTES);
        int newLeader = encodedSize(new NewLeader(0, Zxid.ZERO, null))
                + LARGEST_MEMBERSHIP_BYTES;
        return Math.max(hostTxn, Math.max(membershipTxn, newLeader));
    }

    /** The encoding of the largest membership there can be: every member, longest addresses. */
    private static int largestMembershipBytes() {
        Map<PeerId, String> voters = new TreeMap<>();
        String address = "a".repeat(Membership.MAX_ADDRESS_BYTES);
        for (int id = 1; id <= Membership.MAX_MEMBERS; id++) {
            voters.put(new PeerId(id), address);
        }
        return new Membership(Zxid.ZERO, voters, Map.of()).encode().length;
    }

    /** The exact number of bytes {@link #encode(Message, ByteBuffer)} writes for {@code m}. */
    public static int encodedSize(Message m) {
        return WireType.sum(HEADER_BYTES, WireType.of(m).bodySize(m));
    }

    /**
     * Writes {@code m} at the buffer's position and advances it by {@link #encodedSize}.
     *
     * @throws IllegalArgumentException if the buffer has too little room, or a field is out of
     *     its wire range (an epoch beyond 32 bits): both are bugs of the caller
     */
    public static void encode(Message m, ByteBuffer out) {
        WireType type = WireType.of(m);
        int size = WireType.sum(HEADER_BYTES, type.bodySize(m));
        if (out.remaining() < size) {
            throw new IllegalArgumentException(type.wireName + " needs " + size
                    + " bytes, buffer has " + out.remaining());
        }
        ByteOrder order = out.order();
        out.order(ByteOrder.BIG_ENDIAN);
        int start = out.position();
        try {
            out.put(VERSION);
            out.put(type.code);
            type.write(m, out);
        } catch (RuntimeException e) {
            out.position(start);
            throw e;
        } finally {
            out.order(order);
        }
        assert out.position() - start == size : type + " wrote " + (out.position() - start);
    }

    /** Encodes {@code m} into a new array of exactly {@link #encodedSize} bytes. */
    public static byte[] encode(Message m) {
        byte[] out = new byte[encodedSize(m)];
        encode(m, ByteBuffer.wrap(out));
        return out;
    }

    /**
     * Reads one message from all remaining bytes of {@code in}, advancing its position. On
     * failure the position is left wherever reading stopped.
     */
    public static Message decode(ByteBuffer in) throws CodecException {
        ByteOrder order = in.order();
        in.order(ByteOrder.BIG_ENDIAN);
        try {
            WireReader r = new WireReader(in);
            byte version = r.u8("version");
            if (version != VERSION) {
                throw new CodecException("unsupported codec version " + version + " (this reader"
                        + " knows " + VERSION + ")");
            }
            byte code = r.u8("type");
            WireType type = WireType.ofCode(code);
            if (type == null) {
                throw new CodecException("unknown message type 0x"
                        + Integer.toHexString(code & 0xFF) + " at offset " + TYPE_OFFSET);
            }
            r.context(type.wireName);
            Message m = type.read(r);
            r.end();
            return m;
        } finally {
            in.order(order);
        }
    }

    /** Decodes a whole array as one message. */
    public static Message decode(byte[] bytes) throws CodecException {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** The protocol's name for a type byte (e.g. "PROPOSAL"), or null if unknown. */
    public static String typeName(byte code) {
        WireType type = WireType.ofCode(code);
        return type == null ? null : type.wireName;
    }

    /** Bytes {@link #encodeTxn} writes: zxid, kind, length, data. */
    public static int encodedTxnSize(Txn txn) {
        return WireType.txnSize(txn);
    }

    /** Writes a txn (without version or type) at the buffer's position, as inside PROPOSAL. */
    public static void encodeTxn(Txn txn, ByteBuffer out) {
        int size = WireType.txnSize(txn);
        if (out.remaining() < size) {
            throw new IllegalArgumentException("txn needs " + size + " bytes, buffer has "
                    + out.remaining());
        }
        ByteOrder order = out.order();
        out.order(ByteOrder.BIG_ENDIAN);
        try {
            WireType.putTxn(out, txn);
        } finally {
            out.order(order);
        }
    }

    /** Reads one txn from all remaining bytes of {@code in}. */
    public static Txn decodeTxn(ByteBuffer in) throws CodecException {
        ByteOrder order = in.order();
        in.order(ByteOrder.BIG_ENDIAN);
        try {
            WireReader r = new WireReader(in);
            r.context("txn");
            Txn txn = WireType.readTxn(r);
            r.end();
            return txn;
        } finally {
            in.order(order);
        }
    }
}
