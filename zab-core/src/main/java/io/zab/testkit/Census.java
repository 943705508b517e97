package io.zab.testkit;

import io.zab.Membership;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;

/**
 * The status of every running node, each read once, so that one decision about leaders is
 * made on one picture rather than on statuses read at different moments. The picture also
 * says who the members are: those of the newest committed membership any running node
 * reports, or of the newest one seen before, since every node that knew it may be down now.
 * Nodes outside it (spares not added yet, members removed) are in no decision.
 */
final class Census {
    private final Map<Integer, NodeStatus> up = new TreeMap<>();
    private final Map<Integer, NodeStatus> upMembers = new TreeMap<>();
    private final Membership membership;

    /**
     * @param newest the newest membership seen so far; raised to a newer one a node reports,
     *     never lowered, so that a picture taken later never knows less
     */
    Census(Collection<? extends Member<?>> nodes, AtomicReference<Membership> newest) {
        for (Member<?> m : nodes) {
            ZabNode n = m.node;
            if (n != null) {
                up.put(m.id, n.status());
            }
        }
        Membership best = newest.get();
        for (NodeStatus s : up.values()) {
            if (s.membership().version().isAfter(best.version())) {
                best = s.membership();
            }
        }
        membership = newest.accumulateAndGet(best,
                (had, seen) -> seen.version().isAfter(had.version()) ? seen : had);
        up.forEach((id, s) -> {
            if (membership.contains(PeerId.of(id))) {
                upMembers.put(id, s);
            }
        });
    }

    /** The newest committed membership known when the picture was taken. */
    Membership membership() {
        return membership;
    }

    /** The running members that lead in broadcast. */
    List<Integer> leaders() {
        return upMembers.entrySet().stream().filter(e -> e.getValue().role() == Role.LEADING
                && e.getValue().broadcasting()).map(Map.Entry::getKey).toList();
    }

    /** Of the leaders, the one of the highest epoch: an old one may not have noticed yet. */
    Optional<Integer> newestLeader() {
        return leaders().stream().max((a, b) -> Long.compare(up.get(a).epoch(),
                up.get(b).epoch()));
    }

    /**
     * The one leader that a majority of the membership's voters (itself included) and every
     * running member it can reach follow in broadcast; empty while there is none.
     *
     * @param reachable whether no partition separates two nodes
     */
    Optional<Integer> settledLeader(BiPredicate<Integer, Integer> reachable) {
        List<Integer> leaders = leaders();
        if (leaders.size() != 1) {
            return Optional.empty();
        }
        int leader = leaders.get(0);
        Optional<PeerId> expected = Optional.of(PeerId.of(leader));
        int votersWithIt = 0;
        for (Map.Entry<Integer, NodeStatus> e : upMembers.entrySet()) {
            int id = e.getKey();
            NodeStatus s = e.getValue();
            boolean follows = id == leader || (s.broadcasting() && s.leader().equals(expected));
            if (!reachable.test(leader, id)) {
                continue;
            }
            if (!follows) {
                return Optional.empty();
            }
            if (membership.isVoter(PeerId.of(id))) {
                votersWithIt++;
            }
        }
        return votersWithIt > membership.voters().size() / 2 ? Optional.of(leader)
                : Optional.empty();
    }

    /** A running node's status, member or not; null for one that is down. */
    NodeStatus status(int id) {
        return up.get(id);
    }

    /** The running members. */
    Set<Integer> running() {
        return upMembers.keySet();
    }

    /** The running members' statuses. */
    Collection<NodeStatus> statuses() {
        return upMembers.values();
    }
}
