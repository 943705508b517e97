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
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery thread: the only thread that calls the host's {@link StateMachine}. It applies
 * the core's delivery actions in order, and completes the host's futures after the txn they wait
 * for was delivered here, so host code never runs on the protocol thread.
 */
final class Deliverer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Deliverer.class);

    /** What the deliverer tells the node. Called on the delivery thread. */
    interface Listener {
        void delivered(long requestId, Zxid zxid, Object value);

        void completed(long requestId, io.zab.protocol.Outcome outcome);

        /** The state machine applied everything delivered up to {@code zxid}. */
        void applied(Zxid zxid);

        void snapshotTaken(io.zab.PeerId learner, Zxid zxid, byte[] data);

        void failed(Throwable error);

        /** A periodic snapshot of the state machine was saved: the log may be purged. */
        void snapshotSaved(Zxid zxid);
    }

    private static final Object STOP = new Object();

    private final StateMachine stateMachine;
    private final SnapshotStore snapshots;
    private final Listener listener;
    /** Takes without blocking; bounded upstream (see {@link Incarnation}). */
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
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
        long n = 0;
        for (Txn t : d.txns()) {
            n += t.data().length;
        }
        return n;
    }

    /**
     * Streams a view into the snapshot store on the snapshot thread, off the delivery thread
     * and off the log writer (no ACK waits for it); a failure only costs this snapshot, since
     * the log keeps everything it covers.
     */
    private void saveLater(StateMachine.SnapshotWriter view, Zxid at) {
        snapshotThread.execute(() -> {
            try {
                if (snapshots.saveIfNewest(at, view)) {
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

    /** Writes a view into memory for a SNAP message; a failure only costs this snapshot. */
    private static byte[] write(StateMachine.SnapshotWriter view, Zxid at) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            view.writeTo(out);
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            LOG.warn("snapshot at {} failed: {}", at, e.toString());
            return null;
        }
    }

    /** As {@link #post}, unless the thread has ended; false then. */
    boolean tryPost(Runnable task) {
        return thread.isAlive() && queue.add(task);
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
                Object value = stateMachine.deliver(t.zxid(), ByteBuffer.wrap(t.data())
                        .asReadOnlyBuffer());
                lastDelivered = t.zxid();
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
            stateMachine.restore(new ByteArrayInputStream(r.data()));
            lastDelivered = r.zxid();
            listener.applied(lastDelivered);
        } else if (a instanceof Action.TakeSnapshot t) {
            Zxid at = lastDelivered;
            StateMachine.SnapshotWriter view = stateMachine.snapshotView();
            snapshotThread.execute(() -> {
                byte[] data = write(view, at);
                if (data != null) {
                    listener.snapshotTaken(t.learner(), at, data);
                }
            });
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
        snapshotThread.shutdownNow();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
