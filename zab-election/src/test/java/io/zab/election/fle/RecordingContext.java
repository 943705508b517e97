package io.zab.election.fle;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.ElectionContext;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.MajorityQuorum;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** An election context for scripted tests of one election: it records what is sent. */
final class RecordingContext implements ElectionContext {
    record Sent(PeerId to, Notification notification) {
    }

    private final PeerId self;
    private QuorumVerifier quorum;
    private Set<PeerId> observers;
    private final List<Sent> sent = new ArrayList<>();
    private boolean mayVote = true;
    private Zxid membershipVersion = Zxid.ZERO;
    /** The voters of the committed membership while a change is in flight, else null. */
    private Set<PeerId> candidates;

    RecordingContext(int self, Set<Integer> voters, Set<Integer> observers) {
        this.self = PeerId.of(self);
        this.quorum = new MajorityQuorum(ids(voters));
        this.observers = ids(observers);
    }

    static RecordingContext voters(int self, int n) {
        Set<Integer> voters = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            voters.add(i);
        }
        return new RecordingContext(self, voters, Set.of());
    }

    private static Set<PeerId> ids(Set<Integer> values) {
        Set<PeerId> out = new TreeSet<>();
        for (int v : values) {
            out.add(PeerId.of(v));
        }
        return out;
    }

    @Override
    public PeerId self() {
        return self;
    }

    @Override
    public QuorumVerifier quorum() {
        return quorum;
    }

    @Override
    public Set<PeerId> observers() {
        return observers;
    }

    @Override
    public void send(PeerId to, Notification notification) {
        sent.add(new Sent(to, notification));
    }

    @Override
    public boolean mayVote() {
        return mayVote;
    }

    /** False: this node is blank and joining an existing cluster (it must abstain). */
    void mayVote(boolean may) {
        this.mayVote = may;
    }

    @Override
    public boolean isCandidate(PeerId peer) {
        return candidates == null ? quorum.isVoter(peer) : candidates.contains(peer);
    }

    @Override
    public Zxid membershipVersion() {
        return membershipVersion;
    }

    /** The newest membership this node knows is now the one of {@code version}. */
    void membershipVersion(Zxid version) {
        this.membershipVersion = version;
    }

    /** The members changed (a membership change this node learned of). */
    void members(Set<Integer> voters, Set<Integer> observers) {
        this.quorum = new MajorityQuorum(ids(voters));
        this.observers = ids(observers);
    }

    /**
     * A change from these voters to {@code next} is in flight: quorums are joint, and only
     * these (the committed membership's) voters are candidates.
     */
    void changeInFlight(Set<Integer> next) {
        this.candidates = quorum.voters();
        this.quorum = new io.zab.protocol.quorum.JointQuorum(quorum,
                new MajorityQuorum(ids(next)));
    }

    /** What was sent since the last call, in order. */
    List<Sent> drain() {
        List<Sent> out = List.copyOf(sent);
        sent.clear();
        return out;
    }
}
