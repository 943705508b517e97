package io.zab.runtime;

import io.zab.StateMachine;
import io.zab.Zxid;
import io.zab.protocol.Action;
import io.zab.protocol.Action.DeliveryAction;
import io.zab.protocol.Txn;
import io.zab.storage.SnapshotStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery thread: the only thread that calls the host's {@link StateMachine}. It applies
 * the core's delivery actions in order, and completes the host's futures after the txn they wait
 * for was delivered here, so host code never runs on the protocol thread.
 *
 * <p>A membership txn is delivered like any other as far as positions go (it moves
 * {@link #lastDelivered} and the applied mark, and completes the request bound to it, with a
 * null value), but it is not the host's data: the state machine never sees it, and the node's
 * role listeners are told the new membership instead.
 */
final class Deliverer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Deliverer.class);

    /** What the deliverer tells the node. Called on the delivery thread. */
    interface Listener {
        void delivered(long requestId, Zxid zxid, Object value);

        void completed(long requestId, io.zab.protocol.Outcome outcome);

        /** The state machine applied everything delivered up to {@code zxid}. */
        void applied(Zxid zxid);

        /** A membership txn was delivered: {@code committed} is the membership now. */
        default void membershipChanged(io.zab.Membership committed) {
        }

        /** A snapshot for a learner is kept: at {@code zxid}, {@code size} bytes, CRC32C. */
        void snapshotTaken(io.zab.PeerId learner, Zxid zxid, long size, int crc);

        /** A part of a kept snapshot was read for a learner. */
        void snapshotChunk(io.zab.PeerId learner, Zxid zxid, long offset, byte[] data);

        /** A snapshot for a learner was not kept (zxid null), or a part of one not read. */
        void snapshotFailed(io.zab.PeerId learner, Zxid zxid, String reason);

        void failed(Throwable error);

        /** A periodic snapshot of the state machine was saved: the log may be purged. */
        void snapshotSaved(Zxid zxid);

        /** Committed txns were applied to the state machine (for metrics). */
        default void committed(int txns, long bytes) {
        }

        /** A snapshot of {@code bytes} was written and kept in {@code nanos} (for metrics). */
        default void snapshotWritten(long nanos, long bytes) {
        }
    }

    private static final Object STOP = new Object();

    private final StateMachine stateMachine;
    private final SnapshotStore snapshots;
    /** Snapshot thread only (and {@link #close} once it stopped): open transfers, by learner. */
    private final Map<io.zab.PeerId, Transfer> transfers = new HashMap<>();
    private final Listener listener;
    /** Takes without blocking; bounded upstream (see {@link Incarnation}). */
    private final Handoff<Object> queue = new Handoff<>();
    /** Payload bytes of the txns queued and not yet applied. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Requests bound to a txn, both ways: a completion must not scan (overload sends many). */
    private final Map<Zxid, Long> requests = new HashMap<>();
    private final Map<Long, Zxid> boundZxids = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Zxid lastDelivered;
    private final long snapshotEveryTxns;
    private final long snapshotEveryBytes;
    private long sinceSnapshot;
    private long bytesSinceSnapshot;
    /** Writes snapshot views off the delivery thread; one snapshot at a time. */
    private final java.util.concurrent.ExecutorService snapshotThread;
    private final java.util.concurrent.atomic.AtomicBoolean snapshotting =
            new java.util.concurrent.atomic.AtomicBoolean();

    Deliverer(String name, StateMachine stateMachine, SnapshotStore snapshots, Zxid start,
            long snapshotEveryTxns, long snapshotEveryBytes, Listener listener) {
        this.snapshots = snapshots;
        this.snapshotEveryTxns = snapshotEveryTxns;
        this.snapshotEveryBytes = snapshotEveryBytes;
        this.snapshotThread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-snapshot");
            t.setDaemon(true);
            return t;
        });
        this.stateMachine = stateMachine;
        this.listener = listener;
        this.lastDelivered = start;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Queues an action; never blocks. */
    void submit(DeliveryAction action) {
        if (action instanceof Action.Deliver d) {
            queuedBytes.addAndGet(bytesOf(d));
        }
        queue.add(action);
    }

    /** Queues actions, in order, as one item of the queue; never blocks. */
    void submitAll(List<DeliveryAction> actions) {
        long bytes = 0;
        for (DeliveryAction a : actions) {
            if (a instanceof Action.Deliver d) {
                bytes += bytesOf(d);
            }
        }
        queuedBytes.addAndGet(bytes);
        queue.add(actions);
    }

    /**
     * Replaces the state machine's state with a kept snapshot, streamed from the store, before
     * anything queued after this call is delivered.
     */
    void restoreFirst(SnapshotStore.StoredSnapshot snapshot) {
        queue.add(snapshot);
    }

    /** Runs host callbacks (role listeners) on the delivery thread, in order with delivery. */
    void post(Runnable task) {
        queue.add(task);
    }

    /** Payload bytes queued and not yet applied. */
    long queuedBytes() {
        return queuedBytes.get();
    }

    private static long bytesOf(Action.Deliver d) {
        return d.bytes();
    }

    /**
     * Streams a view into the snapshot store on the snapshot thread, off the delivery thread
     * and off the log writer (no ACK waits for it); a failure only costs this snapshot, since
     * the log keeps everything it covers.
     */
    private void saveLater(StateMachine.SnapshotWriter view, Zxid at) {
        snapshotThread.execute(() -> {
            try {
                long start = System.nanoTime();
                if (snapshots.saveIfNewest(at, view)) {
                    long took = System.nanoTime() - start;
                    snapshots.find(at).ifPresent(s -> listener.snapshotWritten(took, s.size()));
                    listener.snapshotSaved(at);
                } else {
                    LOG.debug("snapshot at {} dropped: a newer one is kept", at);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("snapshot at {} not saved: {}", at, e.toString());
            } finally {
                snapshotting.set(false);
            }
        });
    }

    /** As {@link #post}, unless the thread has ended; false then. */
    boolean tryPost(Runnable task) {
        if (!thread.isAlive()) {
            return false;
        }
        queue.add(task);
        return true;
    }

    Zxid lastDelivered() {
        return lastDelivered;
    }

    private void run() {
        try {
            while (running) {
                Object a = queue.poll(100, TimeUnit.MILLISECONDS);
                if (a == STOP) {
                    return;
                }
                if (a instanceof DeliveryAction d) {
                    apply(d);
                } else if (a instanceof List<?> actions) {
                    for (Object d : actions) {
                        apply((DeliveryAction) d);
                    }
                } else if (a instanceof SnapshotStore.StoredSnapshot s) {
                    try (java.io.InputStream in = s.open()) {
                        stateMachine.restore(in);
                    }
                    lastDelivered = s.zxid();
                    listener.applied(lastDelivered);
                } else if (a instanceof Runnable r) {
                    r.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | IOException | Error e) {
            LOG.error("delivery failed; the node stops: {}", e.toString(), e);
            running = false;
            listener.failed(e);
        }
    }

    private void apply(DeliveryAction a) throws IOException {
        if (a instanceof Action.Deliver d) {
            for (Txn t : d.txns()) {
                Object value = t.membership() ? null : stateMachine.deliver(t.zxid(),
                        ByteBuffer.wrap(t.data()).asReadOnlyBuffer());
                lastDelivered = t.zxid();
                if (t.membership()) {
                    listener.membershipChanged(t.newMembership());
                }
                Long requestId = requests.remove(t.zxid());
                if (requestId != null) {
                    boundZxids.remove(requestId);
                }
                if (requestId != null) {
                    listener.delivered(requestId, t.zxid(), value);
                }
            }
            long bytes = bytesOf(d);
            queuedBytes.addAndGet(-bytes);
            listener.applied(lastDelivered);
            listener.committed(d.txns().size(), bytes);
            sinceSnapshot += d.txns().size();
            bytesSinceSnapshot += bytes;
            if ((sinceSnapshot >= snapshotEveryTxns || bytesSinceSnapshot >= snapshotEveryBytes)
                    && snapshotting.compareAndSet(false, true)) {
                // The view is taken here, between two deliveries, so it is exactly the state
                // at lastDelivered; it is written on the snapshot thread while delivery goes on.
                sinceSnapshot = 0;
                bytesSinceSnapshot = 0;
                Zxid at = lastDelivered;
                StateMachine.SnapshotWriter view = stateMachine.snapshotView();
                saveLater(view, at);
            }
        } else if (a instanceof Action.RequestProposed r) {
            requests.put(r.zxid(), r.requestId());
            boundZxids.put(r.requestId(), r.zxid());
        } else if (a instanceof Action.Complete c) {
            Zxid bound = boundZxids.remove(c.requestId());
            if (bound != null) {
                requests.remove(bound);
            }
            listener.completed(c.requestId(), c.outcome());
        } else if (a instanceof Action.RestoreSnapshot r) {
            SnapshotStore.StoredSnapshot s = snapshots.find(r.zxid()).orElseThrow(() ->
                    new IOException("the snapshot installed at " + r.zxid() + " is gone"));
            try (java.io.InputStream in = s.open()) {
                stateMachine.restore(in);
            }
            lastDelivered = r.zxid();
            listener.applied(lastDelivered);
        } else if (a instanceof Action.TakeSnapshot t) {
            Zxid at = lastDelivered;
            StateMachine.SnapshotWriter view = stateMachine.snapshotView();
            snapshotThread.execute(() -> keepFor(t.learner(), view, at));
        }
    }

    /**
     * Snapshot thread: keeps a snapshot for a learner (this view, or a newer one kept already)
     * and names it; its chunks are then read from the store ({@link #readChunk}).
     */
    private void keepFor(io.zab.PeerId learner, StateMachine.SnapshotWriter view, Zxid at) {
        try {
            java.util.Optional<SnapshotStore.StoredSnapshot> s = snapshots.saveIfNewest(at, view)
                    ? snapshots.find(at) : snapshots.latest();
            if (s.isPresent()) {
                listener.snapshotTaken(learner, s.get().zxid(), s.get().size(), s.get().crc());
            } else {
                listener.snapshotFailed(learner, null, "no snapshot kept after taking one");
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("snapshot for learner {} not taken: {}", learner, e.toString());
            listener.snapshotFailed(learner, null, "not taken: " + e);
        }
    }

    /**
     * Reads a part of a kept snapshot for a learner on the snapshot thread. Each learner's
     * transfer keeps its stream open from the first chunk to the last, so a snapshot pruned
     * meanwhile stays readable (an open file outlives its name).
     */
    void readChunk(io.zab.PeerId learner, Zxid zxid, long offset, int length) {
        try {
            snapshotThread.execute(() -> readOnSnapshotThread(learner, zxid, offset, length));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("closing: the snapshot transfer to {} ends with this incarnation", learner);
        }
    }

    private void readOnSnapshotThread(io.zab.PeerId learner, Zxid zxid, long offset,
            int length) {
        Transfer t = transfers.get(learner);
        try {
            if (t != null && (!t.zxid.equals(zxid) || t.position > offset)) {
                t.in.close();
                transfers.remove(learner);
                t = null;
            }
            if (t == null) {
                SnapshotStore.StoredSnapshot s = snapshots.find(zxid).orElseThrow(() ->
                        new IOException("snapshot " + zxid + " is no longer kept"));
                t = new Transfer(zxid, s.open(), s.size(), s.crc());
                transfers.put(learner, t);
            }
            t.skipTo(offset); // a resumed transfer: the digest still covers the whole file
            byte[] data = t.in.readNBytes(length);
            if (data.length != length) {
                throw new IOException("snapshot " + zxid + " ends at " + (offset
                        + data.length) + ", short of " + (offset + length));
            }
            t.crc.update(data);
            t.position += length;
            if (t.position == t.size && (int) t.crc.getValue() != t.expectedCrc) {
                // Never send the end of a damaged snapshot; the learner starts over.
                throw new IOException("snapshot " + zxid + " is damaged: its data has"
                        + " CRC32C " + Integer.toHexString((int) t.crc.getValue())
                        + ", expected " + Integer.toHexString(t.expectedCrc));
            }
            listener.snapshotChunk(learner, zxid, offset, data);
        } catch (IOException | RuntimeException e) {
            LOG.warn("reading snapshot {} for learner {} at {}: {}", zxid, learner, offset,
                    e.toString());
            closeTransfer(learner);
            listener.snapshotFailed(learner, zxid, "reading at " + offset + ": " + e);
        }
    }

    private void closeTransfer(io.zab.PeerId learner) {
        Transfer t = transfers.remove(learner);
        if (t != null) {
            try {
                t.in.close();
            } catch (IOException e) {
                LOG.debug("closing a snapshot transfer: {}", e.toString());
            }
        }
    }

    /** A snapshot being read for one learner. Snapshot thread only. */
    private static final class Transfer {
        final Zxid zxid;
        final java.io.InputStream in;
        final long size;
        final int expectedCrc;
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        long position;

        Transfer(Zxid zxid, java.io.InputStream in, long size, int expectedCrc) {
            this.zxid = zxid;
            this.in = in;
            this.size = size;
            this.expectedCrc = expectedCrc;
        }

        /** Reads up to {@code offset}, adding what it passes to the digest. */
        void skipTo(long offset) throws IOException {
            byte[] buf = new byte[64 << 10];
            while (position < offset) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, offset - position));
                if (n < 0) {
                    throw new IOException("snapshot " + zxid + " ends at " + position
                            + ", short of " + offset);
                }
                crc.update(buf, 0, n);
                position += n;
            }
        }
    }

    /**
     * Stops the thread once everything queued so far was handled (delivered txns still complete
     * their futures). Waits at most {@code timeoutMs}; true once the thread has ended, after
     * which nothing calls the state machine from here any more.
     */
    boolean stopAfterQueued(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        queue.add(STOP);
        return awaitEnd(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
    }

    /** Waits at most {@code timeoutMs} for the thread to end; true if it has (or never ran). */
    boolean awaitEnd(long timeoutMs) throws InterruptedException {
        if (thread.isAlive()) {
            thread.join(Math.max(1, timeoutMs));
        }
        return !thread.isAlive();
    }

    @Override
    public void close() {
        running = false;
        // Interrupted, as before this wave: a snapshot still being written by a node that
        // closes (or leaves after a storage failure) must not land beside the next
        // incarnation's. Its open transfers are closed once the thread has stopped.
        snapshotThread.shutdownNow();
        try {
            if (snapshotThread.awaitTermination(5, TimeUnit.SECONDS)) {
                new java.util.ArrayList<>(transfers.keySet()).forEach(this::closeTransfer);
            }
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
