package io.zab.testkit;

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
 * A host's state machine as a host might write it: every delivered payload in order, with no
 * locking of its own (zab calls it one call at a time), so the tests read it through
 * {@link TestCluster#inspect}.
 */
final class Ledger implements StateMachine {
    private final List<String> entries = new ArrayList<>();

    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        byte[] b = new byte[txn.remaining()];
        txn.get(b);
        entries.add(new String(b, StandardCharsets.UTF_8));
        return entries.size();
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(entries.size());
        for (String e : entries) {
            d.writeUTF(e);
        }
        d.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        entries.clear();
        int n = d.readInt();
        for (int i = 0; i < n; i++) {
            entries.add(d.readUTF());
        }
    }

    List<String> entries() {
        return List.copyOf(entries);
    }
}
