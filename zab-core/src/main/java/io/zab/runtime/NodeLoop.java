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
import io.zab.protocol.Txn;
import io.zab.storage.EpochStore;
import io.zab.storage.MembershipStore;
import io.zab.storage.Recovery;
import io.zab.storage.SnapshotStore;
import io.zab.storage.TxnLog;
import io.zab.transport.Transport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime of one node: the host-facing side (futures, status, role listeners) over the
 * current {@link Incarnation}, which runs the protocol thread that owns the
 * {@link io.zab.protocol.ZabCore},
 * plus the log writer and delivery threads it feeds. Requests enter within the node's
 * {@link PendingBudget}: beyond it a caller waits (on its own thread, up to its wait) or gets
 * {@link ZabException.OverloadedException}; nothing inside the node blocks (see
 * {@link Incarnation}). Internal: hosts use {@code io.zab.ZabNode}.
 *
 * <p><b>Storage failures.</b> When the log writer fails (an I/O error, a full disk) the node
 * stops acking at once (no {@code Persisted} follows a failure, and the protocol thread stops
 * routing), closes its transport so its peers see the links drop and carry on without it, lets
 * the delivery thread finish the committed, durable txns already handed to it, and fails what
 * is still pending: submits with {@link ZabException.OutcomeUnknownException} (the rest of the
 * ensemble may still commit them), syncs and later calls with
 * {@link ZabException.RecoveringException}. If its {@link Parts} allow it, a recovery thread
 * then reopens the stores with a backoff, never reusing the ones that failed (after a failed
 * force the kernel may have dropped the data while a retried force reports success:
 * fsyncgate). Each attempt:
 * <ol>
 *   <li>opens the stores afresh and recovers them ({@link Recovery});</li>
 *   <li>cuts the log back to what the failed incarnation knew to be durable (records written
 *       after its last successful force may still be readable from the page cache without being
 *       on disk; none of them was acked) and rewrites both epochs, which also proves the disk
 *       takes writes again;</li>
 *   <li>builds a fresh core from that durable state, with a fresh election and a fresh
 *       transport from the factories (a closed transport cannot be restarted), and restores the
 *       state machine to the recovered snapshot before anything is delivered: the core then
 *       delivers again every committed txn after it, so the state machine must start from that
 *       snapshot. A node that had no snapshot when it started keeps a snapshot of its state
 *       machine as it was then (the state at zxid 0) for this purpose; {@code restore} replaces
 *       the whole state, so no reset method is needed;</li>
 *   <li>starts it: the node looks for a leader and rejoins as a follower by the normal
 *       election and synchronization.</li>
 * </ol>
 * Any other fault (a broken invariant, a failing state machine) or a storage failure without
 * the means to resume stops the node for good, as {@link #failure} then says.
 *
 * <p>{@link #submit}, {@link #sync}, {@link #status} and {@link #close} may be called from any
 * thread; futures complete on the delivery thread (or, for a failure, on the thread that
 * detected it).
 */
public final class NodeLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLoop.class);
    /** How long a failed incarnation's delivery thread may take to finish its queue. */
    private static final long DELIVERY_DRAIN_MS = 10_000;
    private static final long BACKOFF_MAX_MS = 30_000;

    /** The stores of one opening; {@code closer} releases them. Used as their javadoc says. */
    public record Stores(TxnLog log, EpochStore epochs, SnapshotStore snapshots,
            MembershipStore membership, AutoCloseable closer) {
    }

    /**
     * Opens the node's stores: {@link #open} on the thread that builds the node, {@link #reopen}
     * on its recovery thread.
     */
    @FunctionalInterface
    public interface StoreOpener {
        Stores open() throws IOException;

        /**
         * Opens them again to resume after a storage failure; may refuse (throw) while the
         * cause is plainly still there, such as a disk with no room for the next log segment,
         * so the node does not rejoin only to fail again.
         */
        default Stores reopen() throws IOException {
            return open();
        }
    }

    /**
     * Where the node gets its parts. When {@code noResumeReason} is null the node may resume
     * after a storage failure, and every supplier is then called again for the new incarnation
     * (so each must give a fresh object: a fresh transport, a fresh election, freshly opened
     * stores); otherwise each is called once and a storage failure stops the node for good,
     * for the reason given. The suppliers are called on the thread that builds the node and
     * then on its recovery thread.
     */
    public record Parts(StoreOpener stores, Supplier<? extends Transport> transports,
            Supplier<? extends LeaderElection> elections, String noResumeReason,
            io.zab.ZabMetrics metrics) {
    }

    private final ZabConfig config;
    private final StateMachine stateMachine;
    private final Parts parts;
    private final LongSupplier nanoTime;
    private final Hooks hooks = new Hooks();
    private final Object lock = new Object();
    private final AtomicLong requestIds = new AtomicLong();
    private final Map<Long, CompletableFuture<SubmitResult>> submits = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Zxid>> syncs = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Void>> transfers = new ConcurrentHashMap<>();
    /** Membership changes asked of this node: the target, and the caller's future. */
    private record Change(io.zab.Membership target,
            CompletableFuture<io.zab.Membership> future) {
    }

    private final Map<Long, Change> changes = new ConcurrentHashMap<>();
    private final List<io.zab.RoleListener> listeners = new CopyOnWriteArrayList<>();
    private final PendingBudget pending;
    /**
     * The reason of every refusal for a full pending budget, made once per size of the budget:
     * under a storm of untimed submits this path runs hundreds of thousands of times a second.
     */
    private volatile String pendingFull;
    private final Metrics metrics;
    /** The state machine's state at zxid 0, kept to restore from when no snapshot exists. */
    private final byte[] initialState;
    private volatile Incarnation current;
    private volatile boolean closed;
    /** Completed once, on the delivery thread, when the node first serves in broadcast. */
    private final CompletableFuture<PeerId> ready = new CompletableFuture<>();
    /** The fault that stopped the node for good. */
    private volatile Throwable failure;
    /** The storage failure the node is recovering from, while it is. */
    private volatile Exception outage;
    private Thread recoverer;
    private int incarnations = 1;
    private long backoffMs;
    private final AtomicLong resumes = new AtomicLong();

    public NodeLoop(ZabConfig config, StateMachine stateMachine, Parts parts,
            LongSupplier nanoTime) throws IOException {
        this.config = config;
        this.stateMachine = stateMachine;
        this.parts = parts;
        this.nanoTime = nanoTime;
        this.pending = new PendingBudget(config.pendingMaxTxns(), config.pendingMaxBytes());
        this.pendingFull = pendingFull(config.pendingMaxTxns(), config.pendingMaxBytes());
        this.metrics = new Metrics(config.peerId(), parts.metrics());
        Stores stores = parts.stores().open();
        try {
            Recovery recovery = Recovery.load(stores.log(), stores.epochs(), stores.snapshots(),
                    stores.membership());
            if (recovery.snapshot().isPresent()) {
                try (java.io.InputStream in = recovery.snapshot().get().open()) {
                    stateMachine.restore(in);
                }
                initialState = null;
            } else if (parts.noResumeReason() == null) {
                initialState = snapshotOf(stateMachine);
            } else {
                initialState = null;
            }
            Transport transport = parts.transports().get();
            checkFrameLimit(config, transport);
            this.current = new Incarnation(hooks, config, stateMachine, 1, stores, recovery,
                    null, parts.elections().get(), transport, nanoTime);
        } catch (IOException | RuntimeException e) {
            closeQuietly(stores, e);
            throw e;
        } catch (InterruptedException e) {
            closeQuietly(stores, e);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening node " + config.peerId(), e);
        }
    }

    /**
     * A txn of maxTxnBytes, and the largest membership, must fit the transport's frames, or
     * they could never be sent.
     */
    private static void checkFrameLimit(ZabConfig config, Transport transport) {
        int needed = io.zab.codec.MessageCodec.txnMessageBytes(config.maxTxnBytes());
        int limit = transport.maxMessageBytes();
        if (needed > limit) {
            // A smaller maxTxnBytes helps only while the largest membership change fits.
            boolean lowering = io.zab.codec.MessageCodec.txnMessageBytes(0) <= limit;
            throw new IllegalArgumentException("maxTxnBytes: " + config.maxTxnBytes()
                    + " bytes plus a PROPOSAL's header, or the largest membership change ("
                    + needed + " bytes), exceed the transport's frame limit of " + limit
                    + " (maxFrameBytes); raise maxFrameBytes to at least " + needed
                    + (lowering ? " or lower maxTxnBytes" : ""));
        }
    }

    private static byte[] snapshotOf(StateMachine sm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.snapshot(out);
        return out.toByteArray();
    }

    private static void closeQuietly(Stores stores, Exception into) {
        try {
            stores.closer().close();
        } catch (Exception suppressed) {
            into.addSuppressed(suppressed);
        }
    }

    public void start() throws Exception {
        current.start();
    }

    public CompletableFuture<SubmitResult> submit(ByteBuffer txn) {
        return submit(txn, 0);
    }

    /**
     * As {@link #submit(ByteBuffer)}, but waits up to {@code waitNanos} (0: not at all) for room
     * in the pending budget (on the calling thread), and then, within what is left, for a leader
     * in broadcast and for room in its in-flight budget.
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn, long waitNanos) {
        CompletableFuture<SubmitResult> f = new CompletableFuture<>();
        int size = txn.remaining();
        if (size > config.maxTxnBytes()) {
            RuntimeException tooLarge = new ZabException.TxnTooLargeException("txn of " + size
                    + " bytes exceeds maxTxnBytes " + config.maxTxnBytes());
            metrics.refused(tooLarge);
            f.completeExceptionally(tooLarge);
            return f;
        }
        int waitTicks = admit(f, size, waitNanos, true);
        if (waitTicks < 0) {
            return f;
        }
        byte[] data = new byte[size];
        txn.get(txn.position(), data); // absolute: the caller's buffer is left as it was
        long id = requestIds.incrementAndGet();
        Incarnation inc = handTo(f, id, submits);
        if (inc != null) {
            inc.post(new Event.Submit(id, data, waitTicks));
            if (!inc.running() && submits.remove(id) != null) {
                // Stopped while we queued: whoever failed the pending work may have missed us.
                f.completeExceptionally(new ZabException.OutcomeUnknownException("node "
                        + config.peerId() + " stopped while the txn was queued: "
                        + whyStopped()));
            }
        }
        return f;
    }

    public CompletableFuture<Zxid> sync() {
        return sync(0);
    }

    /** As {@link #sync()}, waiting up to {@code waitNanos} for room and for a leader. */
    public CompletableFuture<Zxid> sync(long waitNanos) {
        CompletableFuture<Zxid> f = new CompletableFuture<>();
        int waitTicks = admit(f, 0, waitNanos, false);
        if (waitTicks < 0) {
            return f;
        }
        long id = requestIds.incrementAndGet();
        Incarnation inc = handTo(f, id, syncs);
        if (inc != null) {
            inc.post(new Event.SyncRead(id, waitTicks));
            if (!inc.running() && syncs.remove(id) != null) {
                RuntimeException r = refusal(inc);
                f.completeExceptionally(r != null ? r : closed());
            }
        }
        return f;
    }

    /**
     * Asks this node, the leader, to hand its leadership to {@code target} within
     * {@code timeoutNanos}; see {@code ZabNode#transferLeadership}. Takes no room in the pending
     * budget (a node runs at most one transfer; the core refuses a second).
     */
    public CompletableFuture<Void> transferLeadership(PeerId target, long timeoutNanos) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        int ticks = Math.max(1, PendingBudget.ticksLeft(timeoutNanos,
                PendingBudget.nanosOf(config.tickIntervalMs())));
        long id = requestIds.incrementAndGet();
        Incarnation inc = handTo(f, id, transfers);
        if (inc != null) {
            inc.post(new Event.TransferLeadership(id, target, ticks));
            if (!inc.running() && transfers.remove(id) != null) {
                RuntimeException r = refusal(inc);
                f.completeExceptionally(r != null ? r : closed());
            }
        }
        return f;
    }

    /**
     * Asks this node, the leader, to change the membership to {@code target} within
     * {@code timeoutNanos}; see {@code ZabNode#changeMembership}. Takes no room in the pending
     * budget (a leader runs at most one change; the core refuses a second).
     */
    public CompletableFuture<io.zab.Membership> changeMembership(io.zab.Membership target,
            long timeoutNanos) {
        CompletableFuture<io.zab.Membership> f = new CompletableFuture<>();
        int ticks = Math.max(1, PendingBudget.ticksLeft(timeoutNanos,
                PendingBudget.nanosOf(config.tickIntervalMs())));
        long id = requestIds.incrementAndGet();
        Incarnation inc = current;
        RuntimeException refused = refusal(inc);
        if (refused != null) {
            f.completeExceptionally(refused);
            return f;
        }
        changes.put(id, new Change(target, f));
        inc.post(new Event.ChangeMembership(id, target, ticks));
        if (!inc.running() && changes.remove(id) != null) {
            RuntimeException r = refusal(inc);
            f.completeExceptionally(r != null ? r : closed());
        }
        return f;
    }

    /**
     * Takes room in the pending budget for a request of {@code bytes}, waiting up to
     * {@code waitNanos} on the caller's thread; the room comes back when {@code f} completes,
     * which is also where the request's metrics are taken (its latency for a submit that
     * commits, its refusal otherwise). Returns what is left of the wait in ticks, or -1 after
     * failing {@code f} (never applied).
     */
    private int admit(CompletableFuture<?> f, long bytes, long waitNanos, boolean submit) {
        RuntimeException refused = refusal(current);
        if (refused != null) {
            metrics.refused(refused);
            f.completeExceptionally(refused);
            return -1;
        }
        long start = nanoTime.getAsLong();
        if (!pending.acquire(bytes, waitNanos)) {
            RuntimeException overloaded = new ZabException.OverloadedException(pendingFull);
            metrics.refused(overloaded);
            f.completeExceptionally(overloaded);
            return -1;
        }
        f.whenComplete((r, e) -> {
            pending.release(bytes);
            if (e != null) {
                metrics.refused(e);
            } else if (submit) {
                metrics.commitLatency(nanoTime.getAsLong() - start);
            }
        });
        return waitTicksLeft(start, waitNanos);
    }

    /**
     * Registers {@code f} as request {@code id} with the incarnation that will carry it, or
     * fails it (and returns null) when the node stopped or left while the caller waited.
     */
    private <T> Incarnation handTo(CompletableFuture<T> f, long id,
            Map<Long, CompletableFuture<T>> registry) {
        Incarnation inc = current;
        RuntimeException refused = refusal(inc);
        if (refused != null) {
            f.completeExceptionally(refused);
            return null;
        }
        registry.put(id, f);
        return inc;
    }

    /** What is left of a caller's wait, in ticks for the core. */
    private int waitTicksLeft(long start, long waitNanos) {
        if (waitNanos <= 0) {
            return 0;
        }
        long left = waitNanos - (nanoTime.getAsLong() - start);
        return Math.max(1, PendingBudget.ticksLeft(left,
                PendingBudget.nanosOf(config.tickIntervalMs())));
    }

    /** Why a call cannot go to {@code inc} now, or null if it can. */
    private RuntimeException refusal(Incarnation inc) {
        if (closed || failure != null) {
            return closed();
        }
        Exception o = outage;
        if (o != null || !inc.running()) {
            return recovering(o);
        }
        return null;
    }

    private String whyStopped() {
        Throwable f = failure != null ? failure : outage;
        return f == null ? "closed" : String.valueOf(f);
    }

    private ZabException.RecoveringException recovering(Exception cause) {
        return new ZabException.RecoveringException("node " + config.peerId()
                + "'s storage failed (" + cause + "); it left the ensemble and is reopening its"
                + " data directory to rejoin; retry later or on another member", cause);
    }

    public NodeStatus status() {
        return current.status(whyAway()).withPending(pending.requests(), pending.bytes());
    }

    /** Why the node is not in the ensemble (closed, stopped, recovering), or null. */
    private String whyAway() {
        if (closed) {
            return "closed";
        }
        if (failure != null) {
            return "stopped for good: " + failure;
        }
        Exception o = outage;
        if (o instanceof OutOfDescriptorsException) {
            return "recovering: " + o.getMessage() + "; reopening its data directory to rejoin"
                    + " as a follower once descriptors are free";
        }
        return o == null ? null : "recovering from a storage failure (" + o + "): reopening"
                + " its data directory to rejoin as a follower";
    }

    public void addRoleListener(io.zab.RoleListener listener) {
        listeners.add(listener);
    }

    /**
     * The fault that stopped the node for good, or else the storage failure it is recovering
     * from right now; empty while it runs normally (including after a resume).
     */
    public Optional<Throwable> failure() {
        Throwable f = failure;
        return Optional.ofNullable(f != null ? f : outage);
    }

    /** How many times the node resumed after a storage failure. */
    public long resumes() {
        return resumes.get();
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
            case REFUSED:
                return new ZabException.TransferRefusedException(o.detail());
            case TIMED_OUT:
                return new ZabException.TransferTimeoutException(o.detail());
            case CHANGE_IN_FLIGHT:
                return new ZabException.ChangeInFlightException(o.detail());
            default:
                return new ZabException(o.kind() + ": " + o.detail());
        }
    }

    /** What the current incarnation tells the node. */
    private String pendingFull(int txns, long bytes) {
        return "node " + config.peerId() + " has its pending budget in use (pendingMaxTxns "
                + txns + ", pendingMaxBytes " + bytes + "); never applied, retry later";
    }

    private final class Hooks implements Incarnation.Host {
        @Override
        public void membershipInForce(io.zab.Membership committed) {
            int members = committed.voters().size() + committed.observers().size();
            int txns = config.pendingMaxTxns(members);
            long bytes = config.pendingMaxBytes(members);
            if (txns != pending.maxRequests() || bytes != pending.maxBytes()) {
                LOG.info("node {}: pending budget {} requests, {} bytes for {} members",
                        config.peerId(), txns, bytes, members);
                pendingFull = pendingFull(txns, bytes);
                pending.resize(txns, bytes);
            }
        }

        @Override
        public void storageFailed(Incarnation from, Exception cause) {
            onStorageFailure(from, cause);
        }

        @Override
        public void fatal(Incarnation from, Throwable cause) {
            halt(from, cause);
        }

        @Override
        public void delivered(long requestId, Zxid zxid, Object value) {
            Change c = changes.remove(requestId);
            if (c != null) {
                c.future().complete(c.target().withVersion(zxid));
                return;
            }
            CompletableFuture<SubmitResult> f = submits.remove(requestId);
            if (f != null) {
                f.complete(new SubmitResult(zxid, value));
            }
        }

        @Override
        public void completed(long requestId, Outcome outcome) {
            Change c = changes.remove(requestId);
            if (c != null) {
                c.future().completeExceptionally(switch (outcome.kind()) {
                    case REFUSED -> new ZabException.MembershipChangeRefusedException(
                            outcome.detail());
                    case CHANGE_IN_FLIGHT -> new ZabException.ChangeInFlightException(
                            outcome.detail());
                    default -> toException(outcome);
                });
                return;
            }
            CompletableFuture<Void> t = transfers.remove(requestId);
            if (t != null) {
                if (outcome.ok()) {
                    t.complete(null);
                } else {
                    t.completeExceptionally(toException(outcome));
                }
                return;
            }
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
        public List<io.zab.RoleListener> listeners() {
            return listeners;
        }

        @Override
        public void broadcasting(PeerId leader) {
            ready.complete(leader);
        }

        @Override
        public Metrics metrics() {
            return metrics;
        }
    }

    /** On the failed log writer's thread: start recovering, or stop for good. */
    private void onStorageFailure(Incarnation inc, Exception failed) {
        // Out of descriptors is reported as what it is (not a disk fault); the handling is the
        // same: what is open cannot be trusted to go on, and a reopen works once they are free.
        Exception cause = OutOfDescriptorsException.clarify(failed);
        synchronized (lock) {
            if (inc != current || closed || failure != null || outage != null) {
                return;
            }
            if (parts.noResumeReason() != null) {
                LOG.error("node {}: storage failed and the node cannot resume ({}); it stops",
                        config.peerId(), parts.noResumeReason());
            } else {
                outage = cause;
                inc.halt();
                recoverer = new Thread(() -> recover(inc, cause),
                        "zab-" + config.peerId() + "-recover");
                recoverer.setDaemon(true);
                recoverer.start();
                return;
            }
        }
        halt(inc, cause);
    }

    /** Stops the node for good after a fault that makes it unsafe to go on. */
    private void halt(Incarnation inc, Throwable error) {
        synchronized (lock) {
            if (inc != current || closed) {
                return;
            }
            if (failure == null) {
                failure = error;
            }
        }
        inc.halt();
        // Leave the ensemble: silence would also do, but peers notice a closed link at once.
        inc.closeTransport();
        failAll(closed());
    }

    /** The recovery thread: takes the failed incarnation apart, then reopens with a backoff. */
    private void recover(Incarnation failed, Exception cause) {
        LOG.error("node {}: {}: {}. It stops acking and leaves the ensemble; it will reopen its"
                + " stores and rejoin as a follower", config.peerId(),
                cause instanceof OutOfDescriptorsException ? "out of file descriptors"
                        : "storage failed", cause.getMessage() != null ? cause.getMessage()
                        : cause.toString());
        try {
            boolean released = failed.leave(DELIVERY_DRAIN_MS);
            failPending(cause);
            long min = Math.max(10, config.tickIntervalMs());
            long max = Math.min(BACKOFF_MAX_MS, 64 * min);
            backoffMs = failed.madeDurable() ? min : Math.min(max, Math.max(min, 2 * backoffMs));
            for (int attempt = 1; !stopping(); attempt++) {
                Thread.sleep(backoffMs);
                if (!released && !(released = failed.awaitDeliveryEnd(1))) {
                    LOG.warn("node {}: the state machine is still busy with the failed"
                            + " incarnation's deliveries; waiting before reopening",
                            config.peerId());
                } else if (tryResume(failed.durableMark(), attempt)) {
                    return;
                }
                backoffMs = Math.min(max, 2 * backoffMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean stopping() {
        return closed || failure != null;
    }

    /** One attempt to come back; true once a new incarnation runs (or the node is closing). */
    private boolean tryResume(Zxid durableMark, int attempt) throws InterruptedException {
        Incarnation next;
        try {
            next = reopen(durableMark);
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: cannot reopen its stores yet (attempt {}): {}; retrying in {} ms",
                    config.peerId(), attempt, OutOfDescriptorsException.clarify(e).toString(),
                    Math.min(BACKOFF_MAX_MS,
                            2 * backoffMs));
            return false;
        }
        synchronized (lock) {
            if (stopping()) {
                next.close();
                return true;
            }
            current = next;
            outage = null;
        }
        try {
            next.start();
        } catch (Exception e) {
            LOG.warn("node {}: cannot start again (attempt {}): {}", config.peerId(), attempt,
                    e.toString());
            synchronized (lock) {
                outage = e;
            }
            next.close();
            return false;
        }
        resumes.incrementAndGet();
        LOG.info("node {}: resumed after the storage failure (incarnation {}); looking for a"
                + " leader to rejoin", config.peerId(), next.number());
        return true;
    }

    /** Opens the stores afresh and builds the next incarnation from what is durable. */
    private Incarnation reopen(Zxid durableMark) throws IOException, InterruptedException {
        Stores s = parts.stores().reopen();
        try {
            Recovery r = Recovery.load(s.log(), s.epochs(), s.snapshots(), s.membership());
            r = dropUndurable(s, r, durableMark);
            // Rewritten, not re-forced: a new file, forced and renamed, is durable whatever
            // became of the pages of the failed incarnation. The membership was saved only
            // after the log it follows was forced, so it is no newer than the durable mark.
            s.epochs().save(r.state().acceptedEpoch(), r.state().currentEpoch());
            if (r.state().membership() != null) {
                s.membership().save(r.state().membership());
            }
            SnapshotStore.StoredSnapshot restore;
            if (r.snapshot().isPresent()) {
                restore = r.snapshot().get();
            } else if (initialState != null && r.state().snapshotZxid().equals(Zxid.ZERO)) {
                byte[] state = initialState;
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(state);
                restore = new SnapshotStore.StoredSnapshot(Zxid.ZERO, state.length,
                        (int) crc.getValue(), () -> new ByteArrayInputStream(state));
            } else {
                throw new IOException("no snapshot to restore the state machine from before"
                        + " replaying the log after " + r.state().snapshotZxid());
            }
            int number;
            synchronized (lock) {
                number = ++incarnations;
            }
            return new Incarnation(hooks, config, stateMachine, number, s, r, restore,
                    parts.elections().get(), parts.transports().get(), nanoTime);
        } catch (IOException | RuntimeException | InterruptedException e) {
            closeQuietly(s, e);
            throw e;
        }
    }

    /**
     * Cuts off what the recovered log holds beyond {@code mark}: written by the failed
     * incarnation but never reported durable (so never acked). After a failed force those
     * records may be readable but not on disk; rejoining with them would let the node vouch
     * for txns it could lose.
     */
    private Recovery dropUndurable(Stores s, Recovery r, Zxid mark) throws IOException {
        List<Txn> txns = r.state().log();
        int keep = 0;
        while (keep < txns.size() && !txns.get(keep).zxid().isAfter(mark)) {
            keep++;
        }
        if (keep == txns.size()) {
            return r;
        }
        Zxid lastKept = keep > 0 ? txns.get(keep - 1).zxid() : r.state().snapshotZxid();
        LOG.warn("node {}: dropping {} logged txns ({} to {}) written after the last force that"
                + " succeeded before the storage failure; the leader will send them again",
                config.peerId(), txns.size() - keep, txns.get(keep).zxid(),
                txns.get(txns.size() - 1).zxid());
        s.log().truncateAfter(lastKept);
        s.log().sync();
        return Recovery.load(s.log(), s.epochs(), s.snapshots(), s.membership());
    }

    private void failPending(Exception cause) {
        RuntimeException unknown = new ZabException.OutcomeUnknownException("node "
                + config.peerId() + "'s storage failed (" + cause + ") while the txn was in"
                + " flight: the rest of the ensemble may still commit it");
        unknown.initCause(cause);
        submits.values().forEach(f -> f.completeExceptionally(unknown));
        submits.clear();
        RuntimeException recovering = recovering(cause);
        syncs.values().forEach(f -> f.completeExceptionally(recovering));
        syncs.clear();
        transfers.values().forEach(f -> f.completeExceptionally(recovering));
        transfers.clear();
        // A change may have been proposed: its outcome is unknown, as a submit's.
        changes.values().forEach(c -> c.future().completeExceptionally(unknown));
        changes.clear();
    }

    private ZabException.ClosedException closed() {
        Throwable f = failure;
        return f == null ? new ZabException.ClosedException("node " + config.peerId()
                + " is closed") : new ZabException.ClosedException("node " + config.peerId()
                + " stopped after a fault: " + f, f);
    }

    /**
     * Fails everything pending as the node stops for good. A pending submit may already be
     * proposed or forwarded, and the rest of the ensemble may still commit it, so it learns
     * that its outcome is unknown; {@code closed} (never applied) is only for calls refused
     * outright, and for syncs, which apply nothing.
     */
    /**
     * Completes with the leader once this node first serves in broadcast (synced with an
     * established leader, or leading one): from then on its calls reach a leader unless one is
     * being elected. Fails with {@link ZabException.ClosedException} if the node stops first.
     */
    public CompletableFuture<PeerId> whenReady() {
        return ready.copy();
    }

    private void failAll(ZabException.ClosedException closed) {
        ready.completeExceptionally(closed);
        RuntimeException unknown = new ZabException.OutcomeUnknownException(closed.getMessage()
                + " while the txn was in flight: the rest of the ensemble may still commit it");
        unknown.initCause(closed);
        submits.values().forEach(f -> f.completeExceptionally(unknown));
        submits.clear();
        syncs.values().forEach(f -> f.completeExceptionally(closed));
        syncs.clear();
        transfers.values().forEach(f -> f.completeExceptionally(closed));
        transfers.clear();
        changes.values().forEach(c -> c.future().completeExceptionally(closed));
        changes.clear();
    }

    @Override
    public void close() {
        Thread r;
        synchronized (lock) {
            closed = true;
            r = recoverer;
        }
        if (r != null && r != Thread.currentThread()) {
            r.interrupt();
            try {
                r.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        current.close();
        failAll(closed());
    }
}
