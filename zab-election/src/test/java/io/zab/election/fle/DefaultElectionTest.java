package io.zab.election.fle;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.zab.ZabNode;
import org.junit.jupiter.api.Test;

/** With zab-election on the class path, a node elects with FLE unless told otherwise. */
class DefaultElectionTest {
    @Test
    void fastLeaderElectionIsTheDefaultElectionOfANode() {
        assertInstanceOf(FastLeaderElection.class, io.zab.runtime.NodeWiring.defaultElection());
        assertNotSame(io.zab.runtime.NodeWiring.defaultElection(), io.zab.runtime.NodeWiring.defaultElection(),
                "every node needs an election of its own");
    }
}
