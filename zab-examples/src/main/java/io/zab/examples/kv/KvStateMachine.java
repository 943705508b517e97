package io.zab.examples.kv;

import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replicated map of UTF-8 strings. Writes come only through {@link #deliver} on the delivery
 * thread; {@link #get} may be called from any thread and sees this replica's state (which may lag
 * the leader unless the caller did {@code sync()} first).
 */
public final class KvStateMachine implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

    private final Map<String, String> map = new ConcurrentHashMap<>();
    private volatile Zxid lastApplied = Zxid.ZERO;
    private volatile long applied;

    @Override
    public Object deliver(Zxid zxid, ByteBuffer txn) {
        lastApplied = zxid;
        applied++;
        KvCommand c;
        try {
            c = KvCommand.decode(txn);
        } catch (IllegalArgumentException e) {
            // Every replica skips the same bad txn, so replicas stay identical.
            LOG.warn("txn {} is not a kv command ({}); skipped", zxid, e.getMessage());
            return new KvResult(false, null);
        }
        String previous = map.get(c.key());
        switch (c.op()) {
            case PUT:
                map.put(c.key(), c.value());
                return new KvResult(true, previous);
            case DELETE:
                map.remove(c.key());
                return new KvResult(previous != null, previous);
            default:
                boolean matches = c.expected() == null ? previous == null
                        : c.expected().equals(previous);
                if (matches) {
                    map.put(c.key(), c.value());
                }
                return new KvResult(matches, previous);
        }
    }

    public String get(String key) {
        return map.get(key);
    }

    public Zxid lastApplied() {
        return lastApplied;
    }

    public int size() {
        return map.size();
    }

    /** A digest of the whole map, equal on replicas with equal state. */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        write(out, lastApplied, new TreeMap<>(map));
    }

    /**
     * Copies the map (on the delivery thread, which pauses only for the copy); the copy is
     * serialised later on the snapshot thread while delivery goes on.
     */
    @Override
    public SnapshotWriter snapshotView() {
        Map<String, String> copy = new TreeMap<>(map);
        Zxid at = lastApplied;
        return out -> write(out, at, copy);
    }

    private static void write(OutputStream out, Zxid at, Map<String, String> copy)
            throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeLong(at.toLong());
        d.writeInt(copy.size());
        for (Map.Entry<String, String> e : copy.entrySet()) {
            writeString(d, e.getKey());
            writeString(d, e.getValue());
        }
        d.flush();
    }

    private static void writeString(DataOutputStream d, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.writeInt(b.length);
        d.write(b);
    }

    private static String readString(DataInputStream d) throws IOException {
        int n = d.readInt();
        if (n < 0 || n > (64 << 20)) {
            throw new IOException("kv snapshot: bad string length " + n);
        }
        return new String(d.readNBytes(n), StandardCharsets.UTF_8);
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        Zxid at = Zxid.fromLong(d.readLong());
        int n = d.readInt();
        Map<String, String> fresh = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            fresh.put(readString(d), readString(d));
        }
        map.clear();
        map.putAll(fresh);
        lastApplied = at;
    }
}
