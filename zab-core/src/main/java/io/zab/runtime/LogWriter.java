package io.zab.runtime;

import io.zab.protocol.Action.StorageAction;
import io.zab.storage.StorageApplier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log writer thread: applies the core's storage actions in order and makes each batch
 * durable with one force (group commit), then reports the highest sequence number made durable.
 * After an I/O error it reports the failure once and never reports durability again: a failed
 * fsync may have dropped pages, so retrying and then acking would lie (fsyncgate).
 *
 * <p>{@link #submit} is called by the protocol thread only; the callbacks run on the writer
 * thread and must only enqueue.
 */
public final class LogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);
    private static final int BATCH_MAX = 4096;

    private final StorageApplier applier;
    private final BlockingQueue<StorageAction> queue;
    private final LongConsumer onPersisted;
    private final Consumer<IOException> onFailure;
    private final Thread thread;
    private volatile boolean running = true;

    public LogWriter(String name, StorageApplier applier, int capacity, LongConsumer onPersisted,
            Consumer<IOException> onFailure) {
        this.applier = applier;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.onPersisted = onPersisted;
        this.onFailure = onFailure;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Queues an action; waits while the queue is full (back-pressure on the protocol). */
    public void submit(StorageAction action) throws InterruptedException {
        queue.put(action);
    }

    private void run() {
        List<StorageAction> batch = new ArrayList<>();
        try {
            while (running) {
                StorageAction first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH_MAX - 1);
                for (StorageAction a : batch) {
                    applier.apply(a);
                }
                applier.sync();
                long seq = batch.get(batch.size() - 1).seq();
                batch.clear();
                onPersisted.accept(seq);
            }
        } catch (IOException e) {
            LOG.error("log writer failed; this node stops acknowledging: {}", e.toString());
            running = false;
            onFailure.accept(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        // No interrupt: it would close a FileChannel in the middle of a force.
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
