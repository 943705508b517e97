package io.zab.examples.bench;

import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Counts delivered txns and folds them into a checksum, so the bench can prove every replica
 * applied the same txns in the same order. Delivery thread only, except the volatile reads.
 */
final class BenchStateMachine implements StateMachine {
    private volatile long count;
    private volatile long checksum;

    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        long h = checksum * 31 + zxid.toLong();
        while (txn.remaining() >= 8) {
            h = h * 1_000_003 + txn.getLong();
        }
        while (txn.hasRemaining()) {
            h = h * 31 + txn.get();
        }
        checksum = h;
        count++;
        return null;
    }

    long count() {
        return count;
    }

    long checksum() {
        return checksum;
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeLong(count);
        d.writeLong(checksum);
        d.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        count = d.readLong();
        checksum = d.readLong();
    }
}
