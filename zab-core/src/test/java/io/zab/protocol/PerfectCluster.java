package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.QuorumMaxElection;
import io.zab.protocol.message.Message;
import io.zab.storage.StorageApplier;
import io.zab.storage.memory.MemoryEpochStore;
import io.zab.storage.memory.MemorySnapshotStore;
import io.zab.storage.memory.MemoryTxnLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Cores wired by a perfect network and disk (every message and write in order, nothing lost),
 * for tests that exercise whole protocol runs without faults. The simulator does the faults.
 */
final class PerfectCluster {
    final Map<PeerId, ZabCore> cores = new TreeMap<>();
    final Map<PeerId, List<Txn>> delivered = new TreeMap<>();
    final Map<PeerId, List<Action.Complete>> completions = new TreeMap<>();
    final Map<PeerId, MemoryTxnLog> logs = new TreeMap<>();
    private final Map<PeerId, StorageApplier> appliers = new TreeMap<>();
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();

    PerfectCluster(int voters, int observers) {
        Set<PeerId> v = new TreeSet<>();
        Set<PeerId> o = new TreeSet<>();
        for (int i = 1; i <= voters + observers; i++) {
            (i <= voters ? v : o).add(PeerId.of(i));
        }
        for (PeerId id : union(v, o)) {
            MemoryTxnLog log = new MemoryTxnLog();
            logs.put(id, log);
            appliers.put(id, new StorageApplier(log, new MemoryEpochStore(),
                    new MemorySnapshotStore(), new io.zab.storage.memory.MemoryMembershipStore()));
            delivered.put(id, new ArrayList<>());
            completions.put(id, new ArrayList<>());
            cores.put(id, new ZabCore(CoreConfig.of(id, v, o), PersistentState.empty(),
                    new QuorumMaxElection()));
        }
        cores.keySet().forEach(this::route);
    }

    private static Set<PeerId> union(Set<PeerId> a, Set<PeerId> b) {
        Set<PeerId> s = new TreeSet<>(a);
        s.addAll(b);
        return s;
    }

    void handle(PeerId id, Event e) {
        cores.get(id).handle(e);
        route(id);
    }

    private void route(PeerId id) {
        for (Action a : cores.get(id).drainActions()) {
            if (a instanceof Action.Send s) {
                Message m = s.message();
                queue.add(() -> handle(s.to(), new Event.Received(id, m)));
            } else if (a instanceof Action.StorageAction st) {
                try {
                    appliers.get(id).apply(st);
                    appliers.get(id).sync();
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                queue.add(() -> handle(id, new Event.Persisted(st.seq())));
            } else if (a instanceof Action.Deliver d) {
                delivered.get(id).addAll(d.txns());
            } else if (a instanceof Action.Complete c) {
                completions.get(id).add(c);
            } else if (a instanceof Action.ReadLog r) {
                List<Txn> txns = logs.get(id).readAfter(r.after(), r.maxBytes());
                queue.add(() -> handle(id, new Event.LogRead(r.learner(), r.after(), txns)));
            } else if (a instanceof Action.PurgeLog p) {
                logs.get(id).purge(p.upTo());
            } else if (a instanceof Action.TakeSnapshot t) {
                List<Txn> state = delivered.get(id);
                Zxid at = state.isEmpty() ? Zxid.ZERO : state.get(state.size() - 1).zxid();
                queue.add(() -> handle(id, new Event.SnapshotReady(t.learner(), at, 0, 0)));
            }
        }
    }

    /** Runs queued work until quiet; returns the number of steps. */
    int settle() {
        int steps = 0;
        while (!queue.isEmpty()) {
            if (++steps > 1_000_000) {
                throw new AssertionError("no quiescence after a million steps");
            }
            queue.poll().run();
        }
        return steps;
    }

    void tickAll(int times) {
        for (int i = 0; i < times; i++) {
            for (PeerId id : cores.keySet()) {
                handle(id, new Event.Tick());
            }
            settle();
        }
    }

    PeerId leader() {
        for (Map.Entry<PeerId, ZabCore> e : cores.entrySet()) {
            if (e.getValue().role() == io.zab.Role.LEADING && e.getValue().isBroadcasting()) {
                return e.getKey();
            }
        }
        return null;
    }
}
