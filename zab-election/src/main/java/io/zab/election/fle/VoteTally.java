package io.zab.election.fle;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.election.Vote;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The latest vote heard from each voter, and who backs what (ZooKeeper's {@code recvset} and
 * {@code outofelection}). Only voters are kept: an observer never counts toward a quorum.
 *
 * <p>A looking voter backs a vote only when it proposes exactly that vote. A voter that is
 * FOLLOWING or LEADING backs any vote for the leader it has: the credentials it reports are
 * whatever its node settled with, and a restarted peer must still be able to join a leader whose
 * followers settled by different routes (ZOOKEEPER-1732 compares settled votes the same way).
 *
 * <p>Not thread-safe; owned by one {@link FastLeaderElection}.
 */
final class VoteTally {
    /** One voter's latest vote and the state it was in when it sent it. */
    record Entry(Vote vote, Role state) {
        boolean backs(Vote v) {
            if (state == Role.LOOKING) {
                return vote.equals(v);
            }
            return vote.leader().equals(v.leader());
        }
    }

    private final QuorumVerifier quorum;
    private final Map<PeerId, Entry> latest = new TreeMap<>();

    VoteTally(QuorumVerifier quorum) {
        this.quorum = quorum;
    }

    /** Records the latest vote of {@code voter}; votes of non-voters are not kept. */
    void put(PeerId voter, Vote vote, Role state) {
        if (quorum.isVoter(voter)) {
            latest.put(voter, new Entry(vote, state));
        }
    }

    void remove(PeerId voter) {
        latest.remove(voter);
    }

    void clear() {
        latest.clear();
    }

    boolean isEmpty() {
        return latest.isEmpty();
    }

    Entry get(PeerId voter) {
        return latest.get(voter);
    }

    /** The voters whose latest vote backs {@code vote}. */
    Set<PeerId> backers(Vote vote) {
        Set<PeerId> out = new TreeSet<>();
        for (Map.Entry<PeerId, Entry> e : latest.entrySet()) {
            if (e.getValue().backs(vote)) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    boolean quorumBacks(Vote vote) {
        return quorum.containsQuorum(backers(vote));
    }

    /**
     * Whether a quorum of either membership backs {@code vote} while a change is in flight
     * ({@link QuorumVerifier#containsAnyQuorum}): enough to join a running leader.
     */
    boolean anyQuorumBacks(Vote vote) {
        return quorum.containsAnyQuorum(backers(vote));
    }

    /** True when every voter of the ensemble backs {@code vote}: no better vote can come. */
    boolean allVotersBack(Vote vote) {
        return backers(vote).containsAll(quorum.voters());
    }

    /** True when the latest word of {@code leader} itself is that it is LEADING. */
    boolean claimsLeading(PeerId leader) {
        Entry e = latest.get(leader);
        return e != null && e.state() == Role.LEADING && e.vote().leader().equals(leader);
    }

    @Override
    public String toString() {
        return latest.toString();
    }
}
