package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.N4;
import static io.zab.protocol.Conversation.sent;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Proposal;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the leader's history keeps while learners lag: beyond historyMaxTxns, what a connected
 * learner has not been sent yet, up to historyMaxBytes for each learner on its own. A learner too
 * far behind loses its claim; the others keep theirs (the review found the claims of all
 * learners dropped together once the history as a whole passed the bound).
 */
class HistoryPinTest {
    private static final PeerId N5 = PeerId.of(5);

    /** 5 voters; history: 1 txn or 20 bytes; a learner window of one 5-byte txn. */
    private static CoreConfig config() {
        return new CoreConfig(N1, Set.of(N1, N2, N3, N4, N5), Set.of(), 10, 5, 8, 1, 100,
                Zxid.MAX_PART, false, 20, 1 << 20, 5);
    }

    private static Conversation established() {
        Conversation c = new Conversation(config(), N1,
                Conversation.state(2, 2, Conversation.log(new long[] {2, 2})));
        List<PeerId> learners = List.of(N2, N3, N4, N5);
        for (PeerId p : learners) {
            c.receive(p, new FollowerInfo(2, z(2, 2)));
        }
        c.persistAll();
        for (PeerId p : learners) {
            c.receive(p, new AckEpoch(3, 2, z(2, 2)));
        }
        c.persistAll();
        for (PeerId p : learners) {
            c.receive(p, new AckNewLeader(3, z(2, 2)));
        }
        c.persistAll();
        assertTrue(c.core.isBroadcasting());
        return c;
    }

    @Test
    void aLearnerWithinTheBoundKeepsItsTxnsWhileOneFarBehindLosesItsClaim() {
        Conversation c = established();
        for (int i = 1; i <= 6; i++) {
            c.on(new Event.Submit(i, new byte[5]));
        }
        c.persistAll();
        // N2 and N3 take everything (with N1 a quorum of 3): 3.1..3.6 commit.
        for (PeerId fast : List.of(N2, N3)) {
            for (int i = 1; i <= 6; i++) {
                c.receive(fast, new Ack(z(3, i)));
            }
        }
        assertEquals(z(3, 6), c.core.lastCommittedZxid());
        // N4 acked up to 3.3 and was sent 3.4 (10 bytes still to send it: within the bound);
        // N5 acked nothing (25 bytes to send: beyond it).
        for (int i = 1; i <= 3; i++) {
            c.receive(N4, new Ack(z(3, i)));
        }
        c.on(new Event.Applied(z(3, 6)));
        List<Action> a = c.receive(N4, new Ack(z(3, 4)));
        assertEquals(List.of(new Proposal(new Txn(z(3, 5), new byte[5]), null, 0)),
                sent(a, N4).stream().filter(m -> m instanceof Proposal).toList(),
                "N4 is fed 3.5 from the history, not dropped");
    }
}
