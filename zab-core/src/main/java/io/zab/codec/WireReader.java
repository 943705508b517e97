package io.zab.codec;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import java.nio.ByteBuffer;

/**
 * Bounds-checked reads from one encoding. Every read first checks that the bytes are there, so a
 * short or lying input becomes a {@link CodecException} naming the message, the field and the
 * offset, never a {@code BufferUnderflowException} or an allocation sized by the input.
 *
 * <p>One instance per decode call; not thread-safe.
 */
final class WireReader {
    private final ByteBuffer in;
    private final int start;
    private String context = "message";

    WireReader(ByteBuffer in) {
        this.in = in;
        this.start = in.position();
    }

    /** Names the message being read, for error texts. */
    void context(String name) {
        this.context = name;
    }

    int offset() {
        return in.position() - start;
    }

    int remaining() {
        return in.remaining();
    }

    CodecException error(String what) {
        return error(what, offset());
    }

    /** An error about the field that starts at offset {@code at}. */
    CodecException error(String what, int at) {
        return new CodecException(what + " in " + context + " at offset " + at);
    }

    private void need(int bytes, String field) throws CodecException {
        if (in.remaining() < bytes) {
            throw new CodecException("truncated " + context + ": field " + field + " needs "
                    + bytes + " bytes at offset " + offset() + ", only " + in.remaining()
                    + " left");
        }
    }

    byte u8(String field) throws CodecException {
        need(1, field);
        return in.get();
    }

    /** An epoch: unsigned 32 bits on the wire, so every value read is a valid epoch. */
    long epoch(String field) throws CodecException {
        need(4, field);
        return Integer.toUnsignedLong(in.getInt());
    }

    int i32(String field) throws CodecException {
        need(4, field);
        return in.getInt();
    }

    long i64(String field) throws CodecException {
        need(8, field);
        return in.getLong();
    }

    /** A zxid packed by {@link Zxid#toLong}; every 64-bit value unpacks to a valid zxid. */
    Zxid zxid(String field) throws CodecException {
        return Zxid.fromLong(i64(field));
    }

    PeerId peer(String field) throws CodecException {
        need(4, field);
        int at = offset();
        int sid = in.getInt();
        if (sid <= 0) {
            throw new CodecException("invalid peer id " + sid + " in " + context + "." + field
                    + " at offset " + at);
        }
        return new PeerId(sid);
    }

    /** A peer id that may be absent: 0 on the wire stands for null (ids are positive). */
    PeerId optionalPeer(String field) throws CodecException {
        need(4, field);
        int at = offset();
        int sid = in.getInt();
        if (sid < 0) {
            throw new CodecException("invalid peer id " + sid + " in " + context + "." + field
                    + " at offset " + at);
        }
        return sid == 0 ? null : new PeerId(sid);
    }

    Role role(String field) throws CodecException {
        int at = offset();
        byte code = u8(field);
        Role role = WireType.roleOf(code);
        if (role == null) {
            throw new CodecException("bad enum code " + code + " for Role in " + context + "."
                    + field + " at offset " + at);
        }
        return role;
    }

    /**
     * A length-prefixed byte array. The length is checked against the bytes actually left
     * before anything is allocated, so the largest allocation is the input's own size.
     */
    byte[] bytes(String field) throws CodecException {
        need(4, field + ".length");
        int at = offset();
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new CodecException("length " + Integer.toUnsignedLong(length)
                    + " out of range in " + context + "." + field + " at offset " + at
                    + " (" + in.remaining() + " bytes left)");
        }
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    void end() throws CodecException {
        if (in.hasRemaining()) {
            throw new CodecException(in.remaining() + " trailing bytes after " + context
                    + " at offset " + offset());
        }
    }
}
