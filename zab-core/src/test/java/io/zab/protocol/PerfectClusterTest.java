package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.Role;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerfectClusterTest {
    @Test
    void electsTheHighestSidAndReplicatesInOrder() {
        PerfectCluster c = new PerfectCluster(3, 1);
        c.settle();
        c.tickAll(5);
        PeerId leader = c.leader();
        assertNotNull(leader, "a leader in broadcast");
        assertEquals(PeerId.of(3), leader, "equal credentials: the highest sid wins");
        for (int i = 0; i < 20; i++) {
            PeerId via = PeerId.of(1 + i % 4);
            c.handle(via, new Event.Submit(i, ("v" + i).getBytes(StandardCharsets.UTF_8)));
            c.settle();
        }
        c.tickAll(2);
        List<Txn> reference = c.delivered.get(leader);
        assertEquals(20, reference.size());
        for (PeerId id : c.cores.keySet()) {
            assertEquals(reference, c.delivered.get(id), "node " + id + " delivered the same");
            assertTrue(c.cores.get(id).isBroadcasting());
        }
        assertEquals(Role.OBSERVING, c.cores.get(PeerId.of(4)).role());
    }
}
