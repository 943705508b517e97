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
 * node's delivery thread, in order with deliveries, when its txn is delivered, its sync point
 * reached, or the protocol refuses it (no leader in broadcast, even for an untimed call; no
 * room at the leader or to forward to it; a leader change). A call refused before it enters the
 * node fails on the calling thread (a txn over {@link ZabConfig#maxTxnBytes()}, no room in the
 * pending budget, a closed, stopped or recovering node). What is pending when the node stops or
 * leaves fails on the thread that stops it: the one that calls {@link #close()}, the recovery
 * thread after a storage failure, the thread that hit a fatal fault. Dependent stages given to
 * the future without an executor run on that thread: keep them short, or use the
 * {@code ...Async} forms. Role listeners and the {@link StateMachine} run on the delivery
 * thread (see there); do not block there.
 *
 * <p>A node with a data directory survives a full disk or an I/O error: it stops acking at
 * once, leaves the ensemble (its links close), then reopens its data directory with a backoff
 * and rejoins as a follower once the disk takes writes again; its state machine is restored
 * from the newest snapshot (or its state at start) and fed again from there. {@link #failure()}
 * says while it is away.
 */
public final class ZabNode implements AutoCloseable {
    static {
        NodeWiring.nodeMaker(ZabNode::new);
    }

    private final NodeLoop loop;

    private ZabNode(NodeLoop loop) {
        this.loop = loop;
    }

    /**
     * A builder for a node.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the threads and the transport (it listens on this node's address); the node then
     * looks for a leader. Call once.
     *
     * @return this node
     * @throws Exception if the transport cannot start (its address is taken, its TLS files do
     *     not load)
     */
    public ZabNode start() throws Exception {
        loop.start();
        return this;
    }

    /**
     * Replicates {@code txn} (its remaining bytes, copied; the buffer and its position are left
     * as they are). The future completes once the txn is committed and delivered on this node,
     * with its zxid and what {@link StateMachine#deliver} returned; on a follower the txn is
     * forwarded to the leader. It fails with a {@link ZabException}: NotLeader, TxnTooLarge,
     * Overloaded or Recovering mean the txn was never applied, OutcomeUnknown that it may have
     * been (a txn in flight when the leader changed, when this node's storage failed, or when
     * it was closed gets it), Closed that the node had stopped before the call (never
     * applied). This untimed call waits for nothing: with no room or no leader in broadcast it
     * fails at once.
     *
     * @param txn the txn, at most {@link ZabConfig#maxTxnBytes()} bytes remaining
     * @return a future of the txn's zxid and result
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
     * OverloadedException or NotLeaderException: never applied. A zero or negative wait is the
     * untimed call.
     *
     * @param txn the txn, at most {@link ZabConfig#maxTxnBytes()} bytes remaining
     * @param maxWait how long the call may wait in all, counted from the call
     * @return a future of the txn's zxid and result
     */
    public CompletableFuture<SubmitResult> submit(ByteBuffer txn, java.time.Duration maxWait) {
        return loop.submit(txn, maxWait.toNanos());
    }

    /**
     * Completes with a sync point once this node has delivered it: the last zxid the leader had
     * logged when it took the request, served only after a quorum answered a ping the leader
     * sent after it (so it still leads). Everything committed before the call is then delivered
     * here, and a read of the state machine after it is linearizable. It fails with
     * NotLeaderException (no leader in broadcast, at once; or the leader was lost before the
     * sync completed), OverloadedException (no room in the pending budget), RecoveringException
     * or ClosedException; a sync applies nothing, so never with OutcomeUnknownException.
     *
     * @return a future of the sync point
     */
    public CompletableFuture<Zxid> sync() {
        return loop.sync();
    }

    /**
     * As {@link #sync()}, but waits up to {@code maxWait} for room in the pending budget and for
     * a leader in broadcast instead of failing at once. A zero or negative wait is the untimed
     * call.
     *
     * @param maxWait how long the call may wait for those, counted from the call
     * @return a future of the sync point
     */
    public CompletableFuture<Zxid> sync(java.time.Duration maxWait) {
        return loop.sync(maxWait.toNanos());
    }

    /**
     * Hands this node's leadership to {@code target}, another voter (leadership transfer, for
     * maintenance or to move the leader near its clients). Call it on the leader. The leader
     * stops admitting writes (they fail with {@link ZabException.NotLeaderException}, never
     * applied, hinting at the target; timed submits here wait for the next leader instead),
     * waits until the target has durably acknowledged every txn it proposed and those are
     * committed, then tells its learners to follow the target and stops leading. The target
     * leads through discovery and synchronization like any elected leader, so an acknowledged
     * txn is never lost whatever happens meanwhile. Role changes reach the host through the
     * {@link RoleListener}s as usual (this node: FOLLOWING the target).
     *
     * <p>The future completes once this node sees the target lead in broadcast (this node
     * follows it then). It fails with {@link ZabException.NotLeaderException} when this node
     * is not an established leader, {@link ZabException.TransferRefusedException} when the
     * transfer cannot start (the target is this node, not a member, an observer, or not a
     * follower connected in broadcast; another transfer runs), both at once and changing
     * nothing, and {@link ZabException.TransferTimeoutException} when the target was not seen
     * leading within {@code timeout}: if it never caught up this node still leads and takes
     * writes again; if it had been told to take over and did not, an election follows as after
     * any leader loss. A transfer changes no data, so it never has an unknown outcome. Also
     * {@link ZabException.RecoveringException} or {@link ZabException.ClosedException} as for
     * {@link #sync()}.
     *
     * <p>May be called from any thread; the future completes on the delivery thread (or, for a
     * call refused before it enters the node, on the calling thread).
     *
     * @param target the voter to lead next
     * @param timeout how long the transfer may take in all, counted in ticks from when the
     *     leader takes the request (at least one tick)
     * @return a future that completes once the target leads
     */
    public CompletableFuture<Void> transferLeadership(PeerId target,
            java.time.Duration timeout) {
        java.util.Objects.requireNonNull(target, "target");
        return loop.transferLeadership(target, timeout.toNanos());
    }

    /**
     * Changes the membership to {@code target} (its version is ignored): add or remove voters
     * and observers, change a member's role or address, or replace members, in one change.
     * Call it on the leader. Members to be added must be running (started to join, see
     * {@link ZabConfig.InitialClusterState#EXISTING}): the leader first syncs them as learners
     * that do not vote, and proposes the change only once every new voter has caught up and a
     * quorum of the target's voters is connected. From its proposal until its commit, every
     * txn (the change included) needs a quorum of the old voters and of the new ones; at the
     * commit every member switches to the new membership, removed members are disconnected and
     * refused afterwards, and a leader that is no longer a voter hands its leadership to the
     * new voter that holds most of its log. Writes go on throughout.
     *
     * <p>The future completes with the new membership (its version is the zxid of the change)
     * once the change is committed and delivered here. It fails with
     * {@link ZabException.NotLeaderException} (this node is not an established leader),
     * {@link ZabException.ChangeInFlightException} (another change or a leadership transfer
     * runs), or {@link ZabException.MembershipChangeRefusedException} (nothing to change, or
     * the new members were not caught up within {@code timeout}), all changing nothing; and
     * with {@link ZabException.OutcomeUnknownException} when leadership changed after the
     * change was proposed (the next leader finishes it if it was acknowledged: look at
     * {@link #status()}).
     *
     * <p>May be called from any thread; the future completes on the delivery thread.
     *
     * <p>A target built from {@link #membership()} ({@link Membership#withVoter} and the like)
     * keeps that membership's version: it is refused if another change committed since (it
     * would undo it), so read the membership again and retry. A target of version zero is taken
     * as the whole new membership, whatever is committed.
     *
     * @param target the members after the change, with their quorum addresses
     * @param timeout how long the new members may take to catch up, counted in ticks from when
     *     the leader takes the request
     * @return a future that completes with the committed membership
     */
    public CompletableFuture<Membership> changeMembership(Membership target,
            java.time.Duration timeout) {
        java.util.Objects.requireNonNull(target, "target");
        return loop.changeMembership(target, timeout.toNanos());
    }

    /**
     * The newest committed membership this node knows, and its version.
     *
     * @return the membership
     */
    public Membership membership() {
        return status().membership();
    }

    /**
     * This node's state now, for monitoring.
     *
     * @return a snapshot of the node's role, positions and budgets
     */
    public NodeStatus status() {
        return loop.status();
    }

    /**
     * This node's id, {@link ZabConfig#peerId()}.
     *
     * @return the id
     */
    public PeerId id() {
        return loop.status().id();
    }

    /**
     * The role this node plays now, as {@link NodeStatus#role()}.
     *
     * @return the role; LOOKING while electing, recovering, stopped or closed
     */
    public Role role() {
        return loop.status().role();
    }

    /**
     * The leader this node follows now, as {@link NodeStatus#leader()}.
     *
     * @return the leader's id (this node's own when leading), or empty while LOOKING
     */
    public Optional<PeerId> leader() {
        return loop.status().leader();
    }

    /**
     * How far this node's state machine has got.
     *
     * @return the last txn it applied, or the snapshot it was last restored from
     */
    public Zxid lastDeliveredZxid() {
        return loop.status().lastDeliveredZxid();
    }

    /**
     * Adds a listener, called on the delivery thread at every role change from then on (a
     * listener added before {@link #start()} also hears the first LOOKING).
     *
     * @param listener the listener; it must return quickly (see {@link RoleListener})
     */
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
     *
     * @return a future of the leader's id; each call gives a new future of the same event
     */
    public CompletableFuture<PeerId> whenReady() {
        return loop.whenReady();
    }

    /**
     * The fault that stopped this node for good (a broken invariant, a failing state machine, a
     * storage error it cannot recover from), or else the storage error it is recovering from
     * right now; empty while it runs normally, including after it resumed. While it recovers,
     * {@link #submit} and {@link #sync} fail with {@link ZabException.RecoveringException}.
     *
     * @return the fault, or empty
     */
    public Optional<Throwable> failure() {
        return loop.failure();
    }

    /**
     * How many times this node resumed after a storage failure.
     *
     * @return the count, 0 for a node that never had one
     */
    public long resumes() {
        return loop.resumes();
    }

    /**
     * Stops the node. Pending submits fail with {@link ZabException.OutcomeUnknownException}
     * (one already proposed or forwarded may still be committed by the rest of the ensemble),
     * pending syncs, {@link #whenReady()} if not yet complete and every later call with
     * {@link ZabException.ClosedException}. Stops the node's threads and transport and closes
     * its stores, on the calling thread.
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
        private ZabMetrics metrics = ZabMetrics.NONE;

        private Builder() {
        }

        /**
         * The node's settings. Required.
         *
         * @param c the config
         * @return this builder
         */
        public Builder config(ZabConfig c) {
            this.config = c;
            return this;
        }

        /**
         * The host's state machine. Required; one per node.
         *
         * @param sm the state machine
         * @return this builder
         */
        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = sm;
            return this;
        }

        /**
         * Where the node reports what it does, for the host's metrics system; by default
         * nowhere. See {@link ZabMetrics} and the ready {@link MetricsRecorder}.
         *
         * @param m the sink; called from several of the node's threads, must not block
         * @return this builder
         */
        public Builder metrics(ZabMetrics m) {
            this.metrics = java.util.Objects.requireNonNull(m, "metrics");
            return this;
        }

        /**
         * Wires the node: opens and recovers its stores, makes its transport and election; it
         * does nothing more until {@link ZabNode#start()}. Runs {@link StateMachine#restore} on
         * this thread when the data directory holds a snapshot, else {@link StateMachine#snapshot}
         * (with a data directory); what either throws, this throws.
         *
         * @return the node, not started
         * @throws NullPointerException if the config or the state machine was not given
         * @throws IllegalStateException naming the dependency to add when zab-transport or
         *     zab-election is missing from the class path
         * @throws IOException when the data directory cannot be opened or recovered (a corrupt
         *     file is named with its offset)
         */
        public ZabNode build() throws IOException {
            return new NodeWiring().config(config).stateMachine(stateMachine).metrics(metrics)
                    .build();
        }
    }
}
