package io.zab.runtime;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.Action.AppendTxns;
import io.zab.protocol.Action.StorageAction;
import io.zab.protocol.Txn;
import io.zab.storage.EpochStore;
import io.zab.storage.MembershipStore;
import io.zab.storage.SnapshotStore;
import io.zab.storage.StorageApplier;
import io.zab.storage.TxnLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log-writer thread: takes the core's storage actions from a bounded queue, applies them in
 * batches (bounded in actions and in payload bytes) through a {@link StorageApplier}, forces once
 * per batch (group commit) and then reports the highest seq made durable; the runtime posts
 * {@code Event.Persisted(seq)} to the core. While
 * one batch is being forced the next one queues up, so the number of forces per second stays
 * near what the disk can do whatever the rate of actions.
 *
 * <p>Failures are final. The first exception (an I/O error, a full disk, or a broken invariant)
 * is reported once through {@link Listener#onFailure}; after it the writer applies nothing and
 * reports nothing more. It never retries a failed force and acks: after a failed fsync the
 * kernel may have dropped the dirty pages and a second fsync can succeed without them
 * (fsyncgate), so the node must step down, reopen its storage and resync.
 *
 * <p>The queue takes without blocking: a protocol thread that waited here while the writer
 * waited for room in the protocol thread's inbox could deadlock. What bounds it is upstream (the
 * leader's in-flight budget and per-learner windows); {@link #queuedBytes} shows it.
 *
 * <p>It also serves the core's reads of the log for learners ({@link #read}), in queue order
 * with the writes and purges: it is the one thread that uses the log, so a read never races a
 * truncation or a purge, and a purge asked for after a read never overtakes it. A read that
 * fails is reported to the core (that learner syncs again); the writer goes on, and if the read
 * failed the log itself ({@link io.zab.storage.file.FileTxnLog} fails for good on an I/O error)
 * the next write fails the writer as any write error does.
 *
 * <p>Threads: {@link #submit}, {@link #read}, {@link #purge} and {@link #close} from any thread
 * (the protocol thread); the listener is called on the log-writer thread.
 */
public final class LogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);
    private static final Object STOP = new Object();

    /** What the writer reports; called on the log-writer thread, so keep it short. */
    public interface Listener {
        /** Every storage action with a seq up to {@code seq} is durable. */
        void onPersisted(long seq);

        /**
         * The writer stopped for good on {@code cause}. Nothing after the last
         * {@link #onPersisted} is known to be durable, and no {@code onPersisted} follows.
         */
        void onFailure(Exception cause);

        /** A batch was forced to disk in {@code nanos} (for metrics). */
        default void onForced(long nanos) {
        }

        /** The txns of a {@link #read}: they start right after {@code after}. */
        default void onLogRead(PeerId learner, Zxid after, List<Txn> txns) {
        }

        /** A {@link #read} failed: the log could not be read, or no longer holds those txns. */
        default void onLogReadFailed(PeerId learner, Zxid after, String reason) {
        }
    }

    private record Purge(Zxid upTo) {
    }

    /** Storage actions queued together, with their payload bytes counted once. */
    private record Writes(List<StorageAction> actions, long bytes) {
    }

    private record Read(PeerId learner, Zxid after, long maxBytes) {
    }


    private final StorageApplier applier;
    private final TxnLog log;
    private final Handoff<Object> queue = new Handoff<>();
    /** Payload bytes of the AppendTxns queued and not yet applied. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final int maxBatchActions;
    private final long maxBatchBytes;
    private final Listener listener;
    private final Thread thread;
    private volatile Exception failure;
    private volatile boolean closed;
    private long lastSeq = Long.MIN_VALUE;
    private volatile long batches;

    /**
     * @param maxBatchActions the most actions applied before one force
     * @param maxBatchBytes a batch ends once its appends hold this many payload bytes (it takes
     *     at least one action, so a larger txn is forced alone): the first txns of a batch wait
     *     for the whole batch's write and force, and a batch beyond what the disk writes in a
     *     few milliseconds only delays them without saving a force that matters
     */
    public LogWriter(String nodeName, TxnLog log, EpochStore epochs, SnapshotStore snapshots,
            MembershipStore membership, int maxBatchActions, long maxBatchBytes,
            Listener listener) {
        if (maxBatchActions < 1) {
            throw new IllegalArgumentException("maxBatchActions must be positive: "
                    + maxBatchActions);
        }
        if (maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxBatchBytes must be positive: "
                    + maxBatchBytes);
        }
        this.maxBatchBytes = maxBatchBytes;
        this.applier = new StorageApplier(log, epochs, snapshots, membership);
        this.log = log;
        this.maxBatchActions = maxBatchActions;
        this.listener = listener;
        this.thread = new Thread(this::run, "zab-log-writer-" + nodeName);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Queues {@code action}; never blocks. */
    public void submit(StorageAction action) {
        submitAll(List.of(action));
    }

    /** Queues actions, in order, as one item of the queue; never blocks. */
    public void submitAll(List<StorageAction> actions) {
        long bytes = 0;
        for (StorageAction a : actions) {
            if (a instanceof AppendTxns append) {
                bytes += Txn.payloadBytes(append.txns());
            }
        }
        queuedBytes.addAndGet(bytes);
        enqueue(new Writes(actions, bytes));
    }

    /** Lets the log drop segments at or below {@code upTo}, in queue order. */
    public void purge(Zxid upTo) {
        enqueue(new Purge(upTo));
    }

    /**
     * Reads up to {@code maxBytes} of the logged txns after {@code after} (at least one), in
     * queue order, for the core's {@code learner}; answers on the listener. Never blocks.
     */
    public void read(PeerId learner, Zxid after, long maxBytes) {
        enqueue(new Read(learner, after, maxBytes));
    }


    /** Payload bytes of appends queued and not yet applied. */
    public long queuedBytes() {
        return queuedBytes.get();
    }

    private void enqueue(Object item) {
        checkRunning();
        queue.add(item);
    }

    private void checkRunning() {
        Exception f = failure;
        if (f != null) {
            throw new IllegalStateException("the log writer failed: " + f.getMessage(), f);
        }
        if (closed) {
            throw new IllegalStateException("the log writer is closed");
        }
    }

    /** The failure that stopped the writer, or null. */
    public Exception failure() {
        return failure;
    }

    /** How many batches were forced so far (for tests and metrics). */
    public long batches() {
        return batches;
    }

    /**
     * Stops the thread after the batch in progress; queued actions are dropped (nothing more is
     * reported for them). Does not close the stores.
     */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        queue.clear();
        queue.add(STOP);
        thread.join();
    }

    private void run() {
        List<Object> batch = new ArrayList<>(maxBatchActions);
        try {
            while (true) {
                batch.clear();
                Object item = queue.take();
                long bytes = 0;
                int actions = 0;
                while (true) {
                    batch.add(item);
                    if (item instanceof Writes w) {
                        bytes += w.bytes();
                        actions += w.actions().size();
                    }
                    if (actions >= maxBatchActions || bytes >= maxBatchBytes || item == STOP) {
                        break;
                    }
                    item = queue.poll();
                    if (item == null) {
                        break;
                    }
                }
                if (!applyBatch(batch)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure = e;
            queue.clear();
            LOG.error("log writer failed; this node must stop acking and step down", e);
            listener.onFailure(e);
        }
    }

    /** Applies one action (not yet forced); returns its seq. */
    private long apply(StorageAction a) throws IOException {
        if (a.seq() <= lastSeq) {
            throw new IllegalStateException("storage action seq " + a.seq()
                    + " does not follow " + lastSeq + ": " + a);
        }
        applier.apply(a);
        lastSeq = a.seq();
        return a.seq();
    }

    /**
     * Reads for a learner: what follows right after the zxid asked for, or a failure. Only an
     * I/O error is caught here; a broken invariant fails the writer like any other.
     */
    private void serve(Read r) {
        List<Txn> txns;
        try {
            txns = log.readAfter(r.after(), r.maxBytes());
        } catch (IOException e) {
            LOG.warn("reading the log after {} for learner {} failed: {}", r.after(),
                    r.learner(), e.toString());
            listener.onLogReadFailed(r.learner(), r.after(), e.toString());
            return;
        }
        if (txns.isEmpty() || !r.after().isFollowedBy(txns.get(0).zxid())) {
            listener.onLogReadFailed(r.learner(), r.after(), "the log (from " + log.base()
                    + " to " + log.lastZxid() + ") no longer holds the txn after " + r.after());
            return;
        }
        listener.onLogRead(r.learner(), r.after(), txns);
    }

    /** Applies and forces one batch; false when told to stop. */
    private boolean applyBatch(List<Object> batch) throws IOException {
        long high = Long.MIN_VALUE;
        boolean go = true;
        for (Object item : batch) {
            if (item == STOP) {
                go = false;
                break;
            }
            if (item instanceof Purge p) {
                log.purge(p.upTo());
                continue;
            }
            if (item instanceof Read r) {
                serve(r);
                continue;
            }
            Writes w = (Writes) item;
            for (StorageAction a : w.actions()) {
                high = apply(a);
            }
            queuedBytes.addAndGet(-w.bytes());
        }
        if (high != Long.MIN_VALUE) {
            long start = System.nanoTime();
            applier.sync();
            listener.onForced(System.nanoTime() - start);
            batches++;
            listener.onPersisted(high);
        }
        return go && !closed;
    }
}
