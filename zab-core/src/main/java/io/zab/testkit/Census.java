package io.zab.testkit;

import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabNode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

/**
 * The status of every running member, each read once, so that one decision about leaders
 * is made on one picture rather than on statuses read at different moments.
 */
final class Census {
    private final Map<Integer, NodeStatus> up = new TreeMap<>();
    private final Set<Integer> voters = new TreeSet<>();

    Census(Collection<? extends Member<?>> members) {
        for (Member<?> m : members) {
            if (m.voter) {
                voters.add(m.id);
            }
            ZabNode n = m.node;
            if (n != null) {
                up.put(m.id, n.status());
            }
        }
    }

    /** The running members that lead in broadcast. */
    List<Integer> leaders() {
        return up.entrySet().stream().filter(e -> e.getValue().role() == Role.LEADING
                && e.getValue().broadcasting()).map(Map.Entry::getKey).toList();
    }

    /** Of the leaders, the one of the highest epoch: an old one may not have noticed yet. */
    Optional<Integer> newestLeader() {
        return leaders().stream().max((a, b) -> Long.compare(up.get(a).epoch(),
                up.get(b).epoch()));
    }

    /**
     * The one leader that a majority of the voters (itself included) and every running member
     * it can reach follow in broadcast; empty while there is none.
     *
     * @param reachable whether no partition separates two members
     */
    Optional<Integer> settledLeader(BiPredicate<Integer, Integer> reachable) {
        List<Integer> leaders = leaders();
        if (leaders.size() != 1) {
            return Optional.empty();
        }
        int leader = leaders.get(0);
        Optional<PeerId> expected = Optional.of(PeerId.of(leader));
        int votersWithIt = 0;
        for (Map.Entry<Integer, NodeStatus> e : up.entrySet()) {
            int id = e.getKey();
            NodeStatus s = e.getValue();
            boolean follows = id == leader || (s.broadcasting() && s.leader().equals(expected));
            if (!reachable.test(leader, id)) {
                continue;
            }
            if (!follows) {
                return Optional.empty();
            }
            if (voters.contains(id)) {
                votersWithIt++;
            }
        }
        return votersWithIt > voters.size() / 2 ? Optional.of(leader) : Optional.empty();
    }

    /** A running member's status; null for one that is down. */
    NodeStatus status(int id) {
        return up.get(id);
    }

    Set<Integer> running() {
        return up.keySet();
    }

    Collection<NodeStatus> statuses() {
        return up.values();
    }
}
