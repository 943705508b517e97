package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.zab.PeerId;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A one-voter ensemble (which ZabConfig accepts) must establish itself as leader: it is its own
 * quorum at every step. Found by the integration tests of zab-examples (CloseReopenIT): the node
 * elected itself, proposed an epoch and stayed in DISCOVERY until initLimit, over and over,
 * because synchronization started only from an ACKEPOCH, which no learner sends here.
 */
class SingleVoterTest {
    @Test
    void aSingleVoterEstablishesItselfAsLeaderAndCommitsAlone() {
        PerfectCluster c = new PerfectCluster(1, 0);
        c.settle();
        c.tickAll(5);
        assertNotNull(c.leader(), "a leader in broadcast");
        c.handle(PeerId.of(1), new Event.Submit(1, "x".getBytes(StandardCharsets.UTF_8)));
        c.settle();
        assertEquals(1, c.delivered.get(PeerId.of(1)).size());
    }
}
