package io.zab.it.consumer;

import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/** The replicated state: one number, to which every txn adds its own eight-byte amount. */
public final class Counter implements StateMachine {
    // Volatile, not atomic: only zab's delivery thread writes, but the host reads it elsewhere.
    private volatile long value;

    /** The txn that adds {@code delta}. */
    public static ByteBuffer add(long delta) {
        return ByteBuffer.allocate(Long.BYTES).putLong(0, delta);
    }

    public long value() {
        return value;
    }

    /** Returns the new value, which completes the submitting node's future. */
    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        value = value + txn.getLong(txn.position());
        return value;
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(value);
        // Flushed, not closed: the stream is zab's.
        data.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        value = new DataInputStream(in).readLong();
    }
}
