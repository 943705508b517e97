package io.zab.it;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A state machine whose state is the exact record of what it was given: for every delivered txn,
 * in order, its zxid (8 bytes), its length (4 bytes) and its payload. Two replicas with equal
 * {@link #bytes()} delivered the same txns at the same zxids in the same order, so comparing them
 * byte for byte checks agreement on the whole history, not just on a final digest. A snapshot is
 * that record, so a replica restored from one (its own at restart, or the leader's by SNAP)
 * keeps the same bytes as one that delivered everything.
 *
 * <p>{@link #deliver}, {@link #snapshot}, {@link #restore} and {@link #roleChanged} run on the
 * node's delivery thread; the accessors may be called from any thread (they lock).
 */
final class HistoryMachine implements StateMachine {
    private final ByteArrayOutputStream record = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(record);
    private Zxid last = Zxid.ZERO;
    private long count;
    private volatile Zxid lastSeen = Zxid.ZERO;
    private volatile boolean started;
    private volatile int restoresSinceStart;

    @Override
    public synchronized Object deliver(Zxid zxid, ByteBuffer txn) {
        if (!zxid.isAfter(last)) {
            // Thrown on the delivery thread, this halts the node; the test sees it in failure().
            throw new IllegalStateException("delivered " + zxid + " after " + last);
        }
        byte[] payload = new byte[txn.remaining()];
        txn.get(payload);
        try {
            out.writeLong(zxid.toLong());
            out.writeInt(payload.length);
            out.write(payload);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
        last = zxid;
        lastSeen = zxid;
        count++;
        return count;
    }

    @Override
    public synchronized void snapshot(OutputStream to) throws IOException {
        record.writeTo(to);
    }

    @Override
    public synchronized void restore(InputStream from) throws IOException {
        byte[] data = from.readAllBytes();
        Parsed p = parse(data);
        record.reset();
        record.write(data);
        last = p.last;
        lastSeen = p.last;
        count = p.count;
        if (started) {
            restoresSinceStart++;
        }
    }

    /**
     * From the first role change on, {@link #restoresSinceStart()} counts restores. A node
     * tells its state machine its role only once started (after any restore from its own
     * data directory, which happens while it is built) and before it syncs with a leader, so
     * the restores counted are the snapshots a leader sent by SNAP.
     */
    @Override
    public void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
        started = true;
    }

    /** Restores after the node started: snapshots the leader sent by SNAP. */
    int restoresSinceStart() {
        return restoresSinceStart;
    }

    Zxid last() {
        return lastSeen;
    }

    synchronized long count() {
        return count;
    }

    synchronized byte[] bytes() {
        return record.toByteArray();
    }

    /**
     * Every payload (read as UTF-8) with the zxid it was delivered at. Fails if a payload was
     * delivered twice: each test write is submitted once, so a duplicate is a double apply.
     */
    static Map<String, Zxid> index(byte[] record) {
        Map<String, Zxid> index = new HashMap<>();
        ByteBuffer in = ByteBuffer.wrap(record);
        while (in.hasRemaining()) {
            Zxid z = Zxid.fromLong(in.getLong());
            byte[] payload = new byte[in.getInt()];
            in.get(payload);
            Zxid before = index.put(new String(payload, StandardCharsets.UTF_8), z);
            if (before != null) {
                throw new AssertionError("payload delivered twice, at " + before + " and " + z);
            }
        }
        return index;
    }

    private record Parsed(Zxid last, long count) {
    }

    private static Parsed parse(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
        Zxid last = Zxid.ZERO;
        long count = 0;
        int at = 0;
        while (at < data.length) {
            if (data.length - at < 12) {
                throw new IOException("snapshot ends inside a record header at byte " + at);
            }
            Zxid z = Zxid.fromLong(in.readLong());
            int length = in.readInt();
            if (length < 0 || length > data.length - at - 12 || !z.isAfter(last)) {
                throw new IOException("bad record at byte " + at + ": zxid " + z + " after "
                        + last + ", length " + length);
            }
            in.skipNBytes(length);
            at += 12 + length;
            last = z;
            count++;
        }
        return new Parsed(last, count);
    }
}
