package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * A one-voter ensemble (which ZabConfig accepts) must establish itself as leader: it is its own
 * quorum at every step. Found by the integration tests of zab-examples (CloseReopenIT, first
 * written for one voter): the node elects itself, proposes an epoch, and stays in DISCOVERY
 * until initLimit, over and over (epoch 54 after a minute), because LeaderRole starts the
 * synchronization phase only from onAckEpoch, which no learner ever sends here, and never once
 * its own epoch is durable.
 */
class SingleVoterTest {
    @Test
    @Disabled("protocol core bug, reported to the lead: a single voter never leaves DISCOVERY")
    void aSingleVoterEstablishesItselfAsLeader() {
        PerfectCluster c = new PerfectCluster(1, 0);
        c.settle();
        c.tickAll(5);
        assertNotNull(c.leader(), "a leader in broadcast");
    }
}
