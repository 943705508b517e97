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
 * must use exactly the config and state machine it is given, since the kit's checks read them.
 * Called on the thread that starts, restarts or wipes the member; it must not start the node.
 */
@FunctionalInterface
public interface NodeFactory {
    ZabNode build(ZabConfig config, StateMachine stateMachine) throws IOException;
}
