package io.zab.runtime;

import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabException;
import io.zab.Zxid;
import io.zab.election.LeaderElection;
import io.zab.protocol.Action;
import io.zab.protocol.Event;
import io.zab.protocol.Outcome;
import io.zab.protocol.ZabCore;
import io.zab.protocol.message.Message;
import io.zab.storage.EpochStore;
import io.zab.storage.Recovery;
import io.zab.storage.SnapshotStore;
import io.zab.storage.TxnLog;
import io.zab.transport.Transport;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime of one node: the protocol thread that owns the {@link ZabCore}, plus the log
 * writer and delivery threads it feeds. Every queue is bounded; {@link #submit} fails fast with
 * an {@link ZabException.OverloadedException} when the inbox is full. Internal: hosts use
 * {@code io.zab.ZabNode}.
 *
 * <p>{@link #submit}, {@link #sync}, {@link #status} and {@link #close} may be called from any
 * thread; futures complete on the delivery thread.
 */
public final class NodeLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLoop.class);

    /** Told of every role change, on the delivery thread. */
    public interface RoleListener {
        void roleChanged(Role role, long epoch, Optional<PeerId> leader);
    }

    private final ZabConfig config;
    private final StateMachine stateMachine;
    private final Transport transport;
    private final LongSupplier nanoTime;
    private final ZabCore core;
    private final BlockingQueue<Event> inbox;
    private static final int BATCH_ACTIONS_MAX = 4096;

    private final AutoCloseable storage;
    private final LogWriter logWriter;
    private final Deliverer deliverer;
    private final Thread thread;
    private final AtomicLong requestIds = new AtomicLong();
    private final Map<Long, CompletableFuture<SubmitResult>> submits = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Zxid>> syncs = new ConcurrentHashMap<>();
    private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile Throwable failure;
    private volatile NodeStatus status;

    public NodeLoop(ZabConfig config, StateMachine stateMachine, Transport transport,
            LeaderElection election, TxnLog log, EpochStore epochs, SnapshotStore snapshots,
            AutoCloseable storage, LongSupplier nanoTime) throws IOException {
        this.storage = storage;
        this.config = config;
        this.stateMachine = stateMachine;
        this.transport = transport;
        this.nanoTime = nanoTime;
        Recovery recovery = Recovery.load(log, epochs, snapshots);
        if (recovery.snapshot().isPresent()) {
            stateMachine.restore(new ByteArrayInputStream(recovery.snapshot().get().data()));
        }
        Zxid start = recovery.state().snapshotZxid();
        this.core = new ZabCore(config.coreConfig(), recovery.state(), election);
        this.inbox = new ArrayBlockingQueue<>(config.inboxCapacity());
        String id = "zab-" + config.peerId();
        this.logWriter = new LogWriter(id, log, epochs, snapshots, config.inboxCapacity(),
                BATCH_ACTIONS_MAX, new LogWriter.Listener() {
                    @Override
                    public void onPersisted(long seq) {
                        post(new Event.Persisted(seq));
                    }

                    @Override
                    public void onFailure(Exception cause) {
                        fail(cause);
                    }
                });
        this.deliverer = new Deliverer(id + "-deliver", stateMachine, start,
                config.inboxCapacity(), config.snapshotEveryTxns(), new DeliveryListener());
        this.thread = new Thread(this::run, id + "-protocol");
        this.thread.setDaemon(true);
        updateStatus();
    }

    public void start() throws Exception {
        logWriter.start();
        deliverer.start();
        transport.start(config.peerId(), new Transport.Receiver() {
            @Override
            public void onMessage(PeerId from, Message message) {
                post(new Event.Received(from, message));
            }

            @Override
            public void onDisconnected(PeerId peer) {
                post(new Event.PeerDisconnected(peer));
            }
        });
        thread.start();
    }

    /** Posts an event from another thread; waits if the inbox is full (back-pressure). */
    private void post(Event event) {
        try {
            while (running && !inbox.offer(event, 100, TimeUnit.MILLISECONDS)) {
                // Keep waiting: dropping a Persisted or a message would break the core's view.
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public CompletableFuture<SubmitResult> submit(ByteBuffer txn) {
        return submit(txn, 0);
    }

    /**
     * As {@link #submit(ByteBuffer)}, but when the inbox is full waits up to {@code waitNanos}
     * for room (0: fail fast with OverloadedException).
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn, long waitNanos) {
        CompletableFuture<SubmitResult> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(closed());
            return f;
        }
        byte[] data = new byte[txn.remaining()];
        txn.duplicate().get(data);
        long id = requestIds.incrementAndGet();
        submits.put(id, f);
        if (!offer(new Event.Submit(id, data), waitNanos)) {
            submits.remove(id);
            f.completeExceptionally(new ZabException.OverloadedException(
                    "inbox full (" + config.inboxCapacity() + " events); retry later"));
        }
        return f;
    }

    private boolean offer(Event e, long waitNanos) {
        if (waitNanos <= 0) {
            return inbox.offer(e);
        }
        try {
            return inbox.offer(e, waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public CompletableFuture<Zxid> sync() {
        CompletableFuture<Zxid> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(closed());
            return f;
        }
        long id = requestIds.incrementAndGet();
        syncs.put(id, f);
        if (!inbox.offer(new Event.SyncRead(id))) {
            syncs.remove(id);
            f.completeExceptionally(new ZabException.OverloadedException("inbox full"));
        }
        return f;
    }

    public NodeStatus status() {
        NodeStatus s = status;
        return new NodeStatus(s.id(), s.role(), s.epoch(), s.leader(), s.broadcasting(),
                s.lastLoggedZxid(), s.lastCommittedZxid(), deliverer.lastDelivered());
    }

    public void addRoleListener(RoleListener listener) {
        listeners.add(listener);
    }

    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickIntervalMs());
        long nextTick = nanoTime.getAsLong() + tickNanos;
        try {
            route(core.drainActions());
            while (running) {
                long wait = nextTick - nanoTime.getAsLong();
                Event e = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : null;
                if (e != null) {
                    core.handle(e);
                    for (Event more; (more = inbox.poll()) != null && running;) {
                        route(core.drainActions());
                        core.handle(more);
                    }
                }
                if (nanoTime.getAsLong() - nextTick >= 0) {
                    core.handle(new Event.Tick());
                    nextTick += tickNanos;
                    if (nanoTime.getAsLong() - nextTick > tickNanos) {
                        nextTick = nanoTime.getAsLong() + tickNanos; // a long pause: no burst
                    }
                }
                route(core.drainActions());
                updateStatus();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("node {}: protocol invariant broken; halting this node", config.peerId(),
                    e);
            fail(e);
        }
    }

    private void route(List<Action> actions) throws InterruptedException {
        for (Action a : actions) {
            if (a instanceof Action.Send s) {
                transport.send(s.to(), s.message());
            } else if (a instanceof Action.StorageAction st) {
                logWriter.put(st);
            } else if (a instanceof Action.DeliveryAction d) {
                deliverer.submit(d);
            } else if (a instanceof Action.RoleChanged rc) {
                Optional<PeerId> leader = Optional.ofNullable(rc.leader());
                for (RoleListener l : listeners) {
                    deliverer.post(() -> l.roleChanged(rc.role(), rc.epoch(), leader));
                }
                deliverer.post(() -> stateMachine.roleChanged(rc.role(), rc.epoch(), leader));
            }
        }
    }

    private void updateStatus() {
        status = new NodeStatus(config.peerId(), core.role(), core.epoch(), core.leader(),
                core.isBroadcasting(), core.lastLoggedZxid(), core.lastCommittedZxid(),
                deliverer.lastDelivered());
    }

    private final class DeliveryListener implements Deliverer.Listener {
        @Override
        public void delivered(long requestId, Zxid zxid, Object value) {
            CompletableFuture<SubmitResult> f = submits.remove(requestId);
            if (f != null) {
                f.complete(new SubmitResult(zxid, value));
            }
        }

        @Override
        public void completed(long requestId, Outcome outcome) {
            if (outcome.ok()) {
                CompletableFuture<Zxid> f = syncs.remove(requestId);
                if (f != null) {
                    f.complete(outcome.zxid());
                }
                return;
            }
            RuntimeException error = toException(outcome);
            CompletableFuture<SubmitResult> f = submits.remove(requestId);
            if (f != null) {
                f.completeExceptionally(error);
            }
            CompletableFuture<Zxid> s = syncs.remove(requestId);
            if (s != null) {
                s.completeExceptionally(error);
            }
        }

        @Override
        public void snapshotTaken(PeerId learner, Zxid zxid, byte[] data) {
            post(new Event.SnapshotReady(learner, zxid, data));
        }

        @Override
        public void failed(Throwable error) {
            fail(error);
        }

        @Override
        public void localSnapshot(Zxid zxid, byte[] data) {
            try {
                logWriter.saveSnapshot(zxid, data);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                LOG.debug("node {}: snapshot at {} not saved: {}", config.peerId(), zxid,
                        e.getMessage());
            }
        }
    }

    private static RuntimeException toException(Outcome o) {
        switch (o.kind()) {
            case NOT_LEADER:
                return new ZabException.NotLeaderException(o.detail(), o.leaderHint());
            case OUTCOME_UNKNOWN:
                return new ZabException.OutcomeUnknownException(o.detail());
            case TOO_LARGE:
                return new ZabException.TxnTooLargeException(o.detail());
            case OVERLOADED:
                return new ZabException.OverloadedException(o.detail());
            default:
                return new ZabException(o.kind() + ": " + o.detail());
        }
    }

    /** Stops the node after a fault that makes it unsafe to go on (storage, invariant). */
    private void fail(Throwable error) {
        if (failure == null) {
            failure = error;
        }
        running = false;
        // Leave the ensemble: silence would also do, but peers notice a closed link at once.
        transport.close();
        failAll(new ZabException.ClosedException("node " + config.peerId()
                + " stopped after a fault: " + error, error));
    }

    private ZabException.ClosedException closed() {
        Throwable f = failure;
        return f == null ? new ZabException.ClosedException("node " + config.peerId()
                + " is closed") : new ZabException.ClosedException("node " + config.peerId()
                + " stopped after a fault: " + f, f);
    }

    private void failAll(RuntimeException error) {
        submits.values().forEach(f -> f.completeExceptionally(error));
        submits.clear();
        syncs.values().forEach(f -> f.completeExceptionally(error));
        syncs.clear();
    }

    /** The fault that stopped the node, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void close() {
        running = false;
        transport.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            logWriter.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deliverer.close();
        try {
            storage.close();
        } catch (Exception e) {
            LOG.warn("node {}: closing storage: {}", config.peerId(), e.toString());
        }
        failAll(closed());
    }
}
