package io.zab.testing;

import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A state machine that keeps every delivered payload (as UTF-8 text), for comparing replicas
 * in tests; a snapshot holds them all and a restore replaces them. Thread-safe.
 */
public class RecordingStateMachine implements StateMachine {
    private final List<String> values = new ArrayList<>();
    private volatile Zxid last = Zxid.ZERO;

    @Override
    public synchronized Object deliver(Zxid zxid, ByteBuffer txn) {
        byte[] b = new byte[txn.remaining()];
        txn.get(b);
        values.add(new String(b, StandardCharsets.UTF_8));
        last = zxid;
        return values.size();
    }

    @Override
    public synchronized void snapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(values.size());
        for (String v : values) {
            d.writeUTF(v);
        }
        d.flush();
    }

    @Override
    public synchronized void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        values.clear();
        int n = d.readInt();
        for (int i = 0; i < n; i++) {
            values.add(d.readUTF());
        }
    }

    public synchronized List<String> values() {
        return List.copyOf(values);
    }

    /** The zxid of the last txn delivered (not restored). */
    public Zxid last() {
        return last;
    }
}
