package io.zab;

import io.zab.runtime.NodeLoop;
import io.zab.runtime.NodeWiring;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One member of a replicated ensemble: give it a {@link ZabConfig} and a {@link StateMachine},
 * {@link #start()} it, and {@link #submit} txns on any member. With zab-transport and
 * zab-election on the class path that is all the wiring: Netty to the config's members and Fast
 * Leader Election.
 *
 * <pre>{@code
 * ZabNode node = ZabNode.builder().config(config).stateMachine(kv).build().start();
 * node.whenReady().get(30, TimeUnit.SECONDS);
 * SubmitResult r = node.submit(ByteBuffer.wrap(bytes), Duration.ofSeconds(5)).get();
 * }</pre>
 *
 * <p><b>Threads.</b> All methods may be called from any thread. A future completes on the
 * node's delivery thread when its txn is delivered or its sync reached; a refusal completes it
 * on the calling thread (untimed calls, a full pending budget, a closed node) or on a thread of
 * the node (the protocol thread for a refusal by the leader, the thread that calls
 * {@link #close()}, the recovery thread after a storage failure). Dependent stages given to
 * the future without an executor run on that thread: keep them short, or use the
 * {@code ...Async} forms. Role listeners and the {@link StateMachine} run on the delivery
 * thread (see there); do not block there.
 *
 * <p>A node with a data directory survives a full disk or an I/O error: it stops acking at once, leaves the ensemble
 * (its links close), then reopens its data directory with a backoff and rejoins as a follower
 * once the disk takes writes again; its state machine is restored from the newest snapshot (or
 * its state at start) and fed again from there. {@link #failure()} says while it is away.
 */
public final class ZabNode implements AutoCloseable {
    static {
        NodeWiring.nodeMaker(ZabNode::new);
    }

    private final NodeLoop loop;

    private ZabNode(NodeLoop loop) {
        this.loop = loop;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the threads and the transport; the node then looks for a leader. */
    public ZabNode start() throws Exception {
        loop.start();
        return this;
    }

    /**
     * Replicates {@code txn} (copied; the buffer is not kept). The future completes once the txn
     * is committed and delivered on this node, with its zxid and what
     * {@link StateMachine#deliver} returned; on a follower the txn is forwarded to the leader.
     * It fails with a {@link ZabException}: NotLeader, TxnTooLarge, Overloaded or Recovering
     * mean the txn was never applied, OutcomeUnknown that it may have been (a txn in flight
     * when this node's storage failed, or when it was closed, gets it), Closed that the node
     * had stopped before the call (never applied).
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn) {
        return loop.submit(txn);
    }

    /**
     * As {@link #submit(ByteBuffer)}, but where the untimed call fails at once this one waits,
     * up to {@code maxWait} in all: on the calling thread while this node has
     * {@link ZabConfig#pendingMaxTxns()} or {@link ZabConfig#pendingMaxBytes()} in flight, then
     * for a leader in broadcast (right after start, during an election) and for room in the
     * leader's in-flight budget. When the wait runs out the future fails with
     * OverloadedException or NotLeaderException: never applied.
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn, java.time.Duration maxWait) {
        return loop.submit(txn, maxWait.toNanos());
    }

    /**
     * Completes with a zxid once this node has delivered everything committed before the call,
     * after the leader confirmed with a quorum that it still leads: a read of the state machine
     * after it is linearizable.
     */
    public CompletableFuture<Zxid> sync() {
        return loop.sync();
    }

    /**
     * As {@link #sync()}, but waits up to {@code maxWait} for room in the pending budget and for
     * a leader in broadcast instead of failing at once.
     */
    public CompletableFuture<Zxid> sync(java.time.Duration maxWait) {
        return loop.sync(maxWait.toNanos());
    }

    public NodeStatus status() {
        return loop.status();
    }

    public PeerId id() {
        return loop.status().id();
    }

    public Role role() {
        return loop.status().role();
    }

    public Optional<PeerId> leader() {
        return loop.status().leader();
    }

    public Zxid lastDeliveredZxid() {
        return loop.status().lastDeliveredZxid();
    }

    /** Called on the delivery thread at every role change. */
    public void addRoleListener(RoleListener listener) {
        loop.addRoleListener(listener);
    }

    /**
     * Completes with the leader's id once this node first serves in broadcast: it has synced
     * with an established leader (or leads one), so its calls reach a leader from then on
     * unless one is being elected (the timed {@code submit} and {@code sync} wait out an
     * election). Completes on the delivery thread; fails with
     * {@link ZabException.ClosedException} if the node stops first. For a host that wants to
     * serve only once its node can: {@code node.start().whenReady().get(30, SECONDS)}.
     */
    public CompletableFuture<PeerId> whenReady() {
        return loop.whenReady();
    }

    /**
     * The fault that stopped this node for good (a broken invariant, a failing state machine, a
     * storage error it cannot recover from), or else the storage error it is recovering from
     * right now; empty while it runs normally, including after it resumed. While it recovers,
     * {@link #submit} and {@link #sync} fail with {@link ZabException.RecoveringException}.
     */
    public Optional<Throwable> failure() {
        return loop.failure();
    }

    /** How many times this node resumed after a storage failure. */
    public long resumes() {
        return loop.resumes();
    }

    /**
     * Stops the node. Pending submits fail with {@link ZabException.OutcomeUnknownException}
     * (one already proposed or forwarded may still be committed by the rest of the ensemble),
     * pending syncs and every later call with {@link ZabException.ClosedException}.
     */
    @Override
    public void close() {
        loop.close();
    }

    /**
     * Collects a node's config and state machine. Everything else comes from the class path:
     * the transport from zab-transport (Netty to the config's members, under its cluster id,
     * with TLS when the config has it), the election from zab-election (Fast Leader Election),
     * and the stores from the config's data directory (in memory without one). Not
     * thread-safe.
     */
    public static final class Builder {
        private ZabConfig config;
        private StateMachine stateMachine;

        private Builder() {
        }

        public Builder config(ZabConfig c) {
            this.config = c;
            return this;
        }

        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = sm;
            return this;
        }

        /**
         * Wires the node; it does nothing until {@link ZabNode#start()}. Runs
         * {@link StateMachine#restore} on this thread when the data directory holds a snapshot.
         *
         * @throws IllegalStateException naming the dependency to add when zab-transport or
         *     zab-election is missing from the class path
         * @throws IOException when the data directory cannot be opened or recovered (a corrupt
         *     file is named with its offset)
         */
        public ZabNode build() throws IOException {
            return new NodeWiring().config(config).stateMachine(stateMachine).build();
        }
    }
}
