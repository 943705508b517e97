package io.zab.examples.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * One write to the key-value store, as the txn bytes zab replicates: put, delete, or
 * compare-and-set (put only if the current value equals {@code expected}; a null expected means
 * "only if absent"). Immutable; any thread.
 */
public record KvCommand(Op op, String key, String value, String expected) {
    public enum Op {
        PUT, DELETE, CAS
    }

    private static final byte NULL = 0;
    private static final byte PRESENT = 1;

    public static KvCommand put(String key, String value) {
        return new KvCommand(Op.PUT, key, value, null);
    }

    public static KvCommand delete(String key) {
        return new KvCommand(Op.DELETE, key, null, null);
    }

    public static KvCommand cas(String key, String expected, String value) {
        return new KvCommand(Op.CAS, key, value, expected);
    }

    public byte[] encode() {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        byte[] e = expected == null ? null : expected.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + size(k) + size(v) + size(e));
        b.put((byte) op.ordinal());
        write(b, k);
        write(b, v);
        write(b, e);
        return b.array();
    }

    private static int size(byte[] s) {
        return 1 + (s == null ? 0 : 4 + s.length);
    }

    private static void write(ByteBuffer b, byte[] s) {
        if (s == null) {
            b.put(NULL);
        } else {
            b.put(PRESENT).putInt(s.length).put(s);
        }
    }

    /** Decodes a txn; a malformed one is an IllegalArgumentException naming the problem. */
    public static KvCommand decode(ByteBuffer b) {
        try {
            int op = b.get();
            if (op < 0 || op >= Op.values().length) {
                throw new IllegalArgumentException("unknown kv op " + op);
            }
            String key = read(b);
            String value = read(b);
            String expected = read(b);
            if (key == null || b.hasRemaining()) {
                throw new IllegalArgumentException("malformed kv command");
            }
            return new KvCommand(Op.values()[op], key, value, expected);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated kv command", e);
        }
    }

    private static String read(ByteBuffer b) {
        byte flag = b.get();
        if (flag == NULL) {
            return null;
        }
        int n = b.getInt();
        if (flag != PRESENT || n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("bad string in kv command");
        }
        try {
            if (b.hasArray()) {
                String s = Utf8.decode(b.array(), b.arrayOffset() + b.position(), n);
                b.position(b.position() + n);
                return s;
            }
            byte[] bytes = new byte[n];
            b.get(bytes);
            return Utf8.decode(bytes, 0, n);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("kv string is not UTF-8", e);
        }
    }
}
