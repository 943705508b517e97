package io.zab.testkit;

import io.zab.PeerId;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.election.LeaderElection;
import io.zab.election.QuorumMaxElection;
import io.zab.runtime.NodeWiring;
import io.zab.transport.LoopbackNetwork;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The in-memory network of a loopback-mode cluster, and its partitions. Members keep their
 * place in a partition across restarts: a cut is between two ids, not two running nodes.
 */
final class LoopbackLinks {
    private final LoopbackNetwork network = new LoopbackNetwork();
    private final Supplier<? extends LeaderElection> elections;
    private final String electionName;
    private volatile List<Set<Integer>> groups = List.of();

    LoopbackLinks() {
        // zab-core cannot depend on zab-election, so Fast Leader Election is used when it is on
        // the class path, and the simple in-core election otherwise.
        if (NodeWiring.hasDefaultElection()) {
            elections = NodeWiring::defaultElection;
            electionName = NodeWiring.defaultElection().getClass().getSimpleName();
        } else {
            elections = QuorumMaxElection::new;
            electionName = "QuorumMaxElection";
        }
    }

    /**
     * A node over this network. It gets factories, not instances, so it can resume on its own
     * after a storage failure with a fresh transport and election.
     */
    ZabNode build(ZabConfig config, StateMachine machine) throws IOException {
        return new NodeWiring().config(config).stateMachine(machine)
                .transportFactory(network::transport).electionFactory(elections).build();
    }

    String electionName() {
        return electionName;
    }

    /** Cuts every link between two groups and heals every link inside one. */
    void partition(List<Set<Integer>> newGroups) {
        List<Integer> all = new ArrayList<>();
        newGroups.forEach(all::addAll);
        for (int a : all) {
            for (int b : all) {
                if (a < b) {
                    PeerId pa = PeerId.of(a);
                    PeerId pb = PeerId.of(b);
                    if (groupOf(newGroups, a) == groupOf(newGroups, b)) {
                        network.heal(pa, pb);
                    } else {
                        network.cut(pa, pb);
                    }
                }
            }
        }
        groups = List.copyOf(newGroups);
    }

    void heal(Collection<Integer> members) {
        for (int a : members) {
            for (int b : members) {
                if (a < b) {
                    network.heal(PeerId.of(a), PeerId.of(b));
                }
            }
        }
        groups = List.of();
    }

    /** True when no cut separates a from b. */
    boolean connected(int a, int b) {
        List<Set<Integer>> g = groups;
        return g.isEmpty() || groupOf(g, a) == groupOf(g, b);
    }

    /** The current groups, or an empty list when the network is whole. */
    List<Set<Integer>> groups() {
        return groups;
    }

    private static int groupOf(List<Set<Integer>> groups, int id) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).contains(id)) {
                return i;
            }
        }
        throw new IllegalArgumentException("member " + id + " is in no group");
    }

    static String format(List<Set<Integer>> groups) {
        List<String> parts = new ArrayList<>();
        groups.forEach(g -> parts.add(new TreeSet<>(g).toString()));
        return String.join(" | ", parts);
    }
}
