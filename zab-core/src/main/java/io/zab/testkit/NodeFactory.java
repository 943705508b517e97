package io.zab.testkit;

import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import java.io.IOException;

/**
 * How a {@link TestCluster} in {@link TestCluster.Network#NETTY} mode turns a member's config and
 * state machine into a node, each time the member starts. The default is what a host does:
 * {@code ZabNode.builder().config(config).stateMachine(stateMachine).build()}. Give another
 * to wire a node differently (zab's own tests put a slow or failing disk under one member); it
 * must use exactly the config and state machine it is given: the config carries the member's
 * id, data directory and peers, and the state machine is the kit's wrapper through which
 * {@link TestCluster#inspect} and {@link TestCluster#awaitConverged} read the host's machine
 * without racing the node. Called on the thread that starts, restarts or wipes the member;
 * it must not start the node: the kit does.
 */
@FunctionalInterface
public interface NodeFactory {
    /**
     * Builds one member's node, not started.
     *
     * @param config the member's config, with the kit's timing and members and the host's
     *     {@link TestCluster.Builder#configure} changes
     * @param stateMachine the kit's wrapper of a fresh host state machine, not the host's
     *     machine itself; pass it to the node as it is
     * @return the node, built but not started
     * @throws IOException when the node cannot be built (say, its data directory cannot be
     *     opened); the start, restart or wipe that called this throws it
     */
    ZabNode build(ZabConfig config, StateMachine stateMachine) throws IOException;
}
