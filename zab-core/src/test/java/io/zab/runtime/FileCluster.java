package io.zab.runtime;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.storage.file.FileTxnLog;
import io.zab.transport.LoopbackNetwork;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Three real nodes over a {@link LoopbackNetwork}, each with file stores in its own directory
 * through its own {@link FileIo}, a {@link LedgerStateMachine}, and a {@link TapTransport} per
 * incarnation (the nodes get a transport factory, so they can resume after a storage failure).
 * Every wait is bounded.
 */
final class FileCluster implements AutoCloseable {
    static final long WAIT_SECONDS = 30;

    /** One member: where its data lives and how it is reached. */
    static final class Member {
        final int id;
        Path dir;
        FileIo io = FileIo.REAL;
        FileStorage.Options options = options(true);
        TapTransport.Tap tap;
        Consumer<Zxid> onDeliver;
        final List<TapTransport> taps = new CopyOnWriteArrayList<>();
        ZabNode node;
        LedgerStateMachine sm;

        Member(int id, Path dir) {
            this.id = id;
            this.dir = dir;
        }

        PeerId peer() {
            return PeerId.of(id);
        }

        /** Every message this member sent, over all its incarnations. */
        List<TapTransport.Sent> sent() {
            List<TapTransport.Sent> all = new ArrayList<>();
            taps.forEach(t -> all.addAll(t.sent()));
            return all;
        }
    }

    private final LoopbackNetwork network = new LoopbackNetwork();
    private final Map<Integer, Member> members = new TreeMap<>();
    private long snapshotEveryTxns = 100_000;
    private int historyMaxTxns = 100_000;

    /** Small preallocated segments, so tests roll segments and fill disks quickly. */
    static FileStorage.Options options(boolean force) {
        return new FileStorage.Options(new FileTxnLog.Options(64 * 1024, true, force), 2,
                100_000, 1L << 30);
    }

    FileCluster(Path root) {
        for (int i = 1; i <= 3; i++) {
            members.put(i, new Member(i, root.resolve("node" + i)));
        }
    }

    FileCluster snapshotEveryTxns(long n) {
        snapshotEveryTxns = n;
        return this;
    }

    FileCluster historyMaxTxns(int n) {
        historyMaxTxns = n;
        return this;
    }

    Member member(int id) {
        return members.get(id);
    }

    List<Member> members() {
        return List.copyOf(members.values());
    }

    /**
     * Generous limits (2 s of silence, 3 s per discovery step): these tests are about what
     * survives a failure, not how fast one is noticed; a node that stops is noticed by its
     * closed connections anyway. Short limits made a busy CI machine's stalls (and the
     * durability probes, which run on the sending thread) look like a lost leader, and a
     * write that should have been acknowledged came back OutcomeUnknown.
     */
    private ZabConfig config(Member m) {
        ZabConfig.Builder b = ZabConfig.builder().peerId(m.id).dataDir(m.dir)
                .tickIntervalMs(50).syncLimitTicks(40).initLimitTicks(60)
                .snapshotEveryTxns(snapshotEveryTxns).historyMaxTxns(historyMaxTxns);
        for (int i = 1; i <= 3; i++) {
            b.voter(i, new InetSocketAddress("127.0.0.1", 7100 + i));
        }
        return b.build();
    }

    ZabNode start(int id) throws Exception {
        Member m = members.get(id);
        m.sm = new LedgerStateMachine(m.onDeliver);
        m.node = new NodeWiring().config(config(m)).stateMachine(m.sm)
                .fileStorage(m.options, m.io)
                .electionFactory(io.zab.election.QuorumMaxElection::new)
                .transportFactory(() -> {
                    TapTransport t = new TapTransport(network.transport(), m.taps.size() + 1,
                            m.tap);
                    m.taps.add(t);
                    return t;
                })
                .build().start();
        return m.node;
    }

    void startAll() throws Exception {
        for (int i = 1; i <= 3; i++) {
            start(i);
        }
    }

    void stop(int id) {
        Member m = members.get(id);
        if (m.node != null) {
            m.node.close();
            m.node = null;
        }
    }

    /** The member leading in broadcast, or null. */
    Member leader() {
        for (Member m : members.values()) {
            if (m.node != null && m.node.status().role() == Role.LEADING
                    && m.node.status().broadcasting()) {
                return m;
            }
        }
        return null;
    }

    Member awaitLeader() throws InterruptedException {
        await("a leader in broadcast", () -> leader() != null);
        return leader();
    }

    /** Waits until every running member is in broadcast under one leader. */
    void awaitBroadcast() throws InterruptedException {
        await("every running node in broadcast", () -> leader() != null
                && members.values().stream().filter(m -> m.node != null)
                        .allMatch(m -> m.node.status().broadcasting()));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting for "
                        + what);
            }
            Thread.sleep(10);
        }
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Submits {@code count} txns named {@code prefix + i} through {@code via}; waits for all. */
    static List<SubmitResult> write(ZabNode via, String prefix, int count) throws Exception {
        List<CompletableFuture<SubmitResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(via.submit(bytes(prefix + i)));
        }
        List<SubmitResult> out = new ArrayList<>();
        for (CompletableFuture<SubmitResult> f : futures) {
            out.add(get(f));
        }
        return out;
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception c) {
                throw c;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT_SECONDS + " s", e);
        }
    }

    /** Waits until every running member delivered the same ledger, and returns it. */
    List<LedgerStateMachine.Entry> awaitConverged() throws Exception {
        Member l = awaitLeader();
        Zxid end = get(l.node.sync());
        await("every node delivered up to " + end, () -> members.values().stream()
                .filter(m -> m.node != null)
                .allMatch(m -> !m.node.lastDeliveredZxid().isBefore(end)));
        await("identical ledgers", () -> members.values().stream()
                .filter(m -> m.node != null)
                .allMatch(m -> m.sm.entries().equals(l.sm.entries())));
        return l.sm.entries();
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            if (m.node != null) {
                m.node.close();
            }
        }
    }
}
