package io.zab.runtime;

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
import java.util.function.Consumer;

/**
 * A state machine that keeps every delivered txn with its zxid (a ledger), for comparing
 * replicas; {@code restore} replaces all of it. An optional hook sees each zxid as it is
 * delivered, on the delivery thread, before it is applied.
 */
final class LedgerStateMachine implements StateMachine {
    /** One delivered txn. */
    record Entry(Zxid zxid, String value) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Consumer<Zxid> onDeliver;
    private int restores;

    LedgerStateMachine(Consumer<Zxid> onDeliver) {
        this.onDeliver = onDeliver;
    }

    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        if (onDeliver != null) {
            onDeliver.accept(zxid);
        }
        byte[] b = new byte[txn.remaining()];
        txn.get(b);
        synchronized (this) {
            entries.add(new Entry(zxid, new String(b, StandardCharsets.UTF_8)));
            return entries.size();
        }
    }

    @Override
    public synchronized void snapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(entries.size());
        for (Entry e : entries) {
            d.writeLong(e.zxid().epoch());
            d.writeLong(e.zxid().counter());
            d.writeUTF(e.value());
        }
        d.flush();
    }

    @Override
    public synchronized void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        entries.clear();
        int n = d.readInt();
        for (int i = 0; i < n; i++) {
            entries.add(new Entry(new Zxid(d.readLong(), d.readLong()), d.readUTF()));
        }
        restores++;
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    synchronized List<String> values() {
        return entries.stream().map(Entry::value).toList();
    }

    synchronized int restores() {
        return restores;
    }
}
