package io.zab.protocol;

import static io.zab.protocol.Conversation.N1;
import static io.zab.protocol.Conversation.N2;
import static io.zab.protocol.Conversation.N3;
import static io.zab.protocol.Conversation.assertActions;
import static io.zab.protocol.Conversation.log;
import static io.zab.protocol.Conversation.state;
import static io.zab.protocol.Conversation.steppedDown;
import static io.zab.protocol.Conversation.txn;
import static io.zab.protocol.Conversation.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.UpToDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every odd message has a defined outcome and no exception escapes the core: ignored when it
 * is harmless, a restart of the conversation (back to election) when the stream cannot be
 * trusted any more.
 */
class OddMessagesTest {
    private static Conversation broadcastingFollower() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        c.persistAll();
        c.receive(N1, new UpToDate(3, z(2, 3)));
        return c;
    }

    @Test
    void aMessageFromAnUnknownSidIsDropped() {
        Conversation c = broadcastingFollower();
        assertActions(c.receive(PeerId.of(99), new Commit(z(3, 1))));
        assertTrue(c.core.isBroadcasting());
    }

    @Test
    void aMessageFromAMemberThatIsNotOurLeaderIsIgnored() {
        Conversation c = broadcastingFollower();
        assertActions(c.receive(N3, new Proposal(txn(3, 1), null, 0)));
        assertEquals(z(2, 3), c.core.lastLoggedZxid());
    }

    @Test
    void aProposalWithAGapRestartsTheConversation() {
        Conversation c = broadcastingFollower();
        c.receive(N1, new Proposal(txn(3, 1), null, 0));
        List<Action> a = c.receive(N1, new Proposal(txn(3, 3), null, 0));
        assertTrue(steppedDown(a));
        assertEquals(z(3, 1), c.core.lastLoggedZxid(), "nothing after the gap was logged");
    }

    @Test
    void aProposalFromAStaleEpochRestartsTheConversation() {
        Conversation c = broadcastingFollower();
        assertTrue(steppedDown(c.receive(N1, new Proposal(txn(2, 4), null, 0))));
    }

    @Test
    void aCommitForAnUnknownZxidIsNeverDelivered() {
        Conversation c = broadcastingFollower();
        List<Action> a = c.receive(N1, new Commit(z(3, 5)));
        assertTrue(steppedDown(a));
        assertTrue(Conversation.only(a, Action.Deliver.class).isEmpty());
    }

    @Test
    void upToDateBeforeOurNewLeaderAckRestarts() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        c.receive(N1, new Diff(3, z(2, 3)));
        c.receive(N1, new NewLeader(3, z(2, 3)));
        assertTrue(steppedDown(c.receive(N1, new UpToDate(3, z(2, 3)))));
    }

    @Test
    void newLeaderThatDoesNotMatchTheStreamRestarts() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        c.persistAll();
        c.receive(N1, new Diff(3, z(2, 5)));
        assertTrue(steppedDown(c.receive(N1, new NewLeader(3, z(2, 5)))),
                "the stream lost two proposals");
    }

    /** ZOOKEEPER-4685: a proposal ACK before the NEWLEADER ACK must not confuse the leader. */
    @Test
    void leaderIgnoresAProposalAckBeforeTheNewLeaderAck() {
        Conversation c = new Conversation(N1, N1, state(2, 2, log(new long[] {2, 2})));
        c.receive(N2, new io.zab.protocol.message.FollowerInfo(2, z(2, 2)));
        c.persistAll();
        c.receive(N2, new io.zab.protocol.message.AckEpoch(3, 2, z(2, 2)));
        assertActions(c.receive(N2, new Ack(z(2, 2))));
        assertEquals(Role.LEADING, c.core.role());
        c.receive(N2, new AckNewLeader(3, z(2, 2)));
        c.persistAll();
        assertTrue(c.core.isBroadcasting());
    }

    @Test
    void aDuplicateLeaderInfoIsIgnored() {
        Conversation c = new Conversation(N2, N1, state(2, 2, log(new long[] {2, 3})));
        c.receive(N1, new LeaderInfo(3));
        assertActions(c.receive(N1, new LeaderInfo(3)));
        assertFalse(steppedDown(c.persistAll()));
    }
}
