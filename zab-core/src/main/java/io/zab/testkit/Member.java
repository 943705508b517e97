package io.zab.testkit;

import io.zab.Membership;
import io.zab.StateMachine;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * One node of a {@link TestCluster}: what stays across its restarts (id, place in the
 * ensemble it was built for, address, data directory) and what each start replaces (node,
 * state machine). Its place in the ensemble now is the cluster's newest membership's to say,
 * not this one's. Written by the thread that starts and stops nodes, read by any.
 */
final class Member<S extends StateMachine> {
    final int id;
    /** A voter of the builder's ensemble, or (for a spare) the role it asks to join in. */
    final boolean voter;
    /** Started to join ({@link ZabConfig.InitialClusterState#JOIN}), not a founding member. */
    final boolean spare;
    /** Where it listens in Netty mode; in loopback mode a placeholder nothing binds. */
    final InetSocketAddress address;
    final Path dataDir;
    /** The running node, or null while the member is down. */
    volatile ZabNode node;
    /** The state machine of its latest start, kept after a kill for the test to read. */
    volatile GuardedMachine<S> machine;
    /**
     * Set once its data directory was wiped: from then on it starts as joining an existing
     * cluster, so a blank disk cannot vote before a leader has synced it.
     */
    volatile boolean wiped;
    /**
     * How a wiped node starts: EXISTING, or JOIN for a spare that was no member when wiped
     * (it is a spare again). Unused until wiped.
     */
    volatile ZabConfig.InitialClusterState wipedAs = ZabConfig.InitialClusterState.EXISTING;
    /**
     * The membership its config lists since it was wiped as a member: a blank disk has no
     * saved membership to start from, and the builder's ensemble may be long gone. Null: the
     * builder's ensemble.
     */
    volatile Membership listed;

    Member(int id, boolean voter, boolean spare, InetSocketAddress address, Path dataDir) {
        this.id = id;
        this.voter = voter;
        this.spare = spare;
        this.address = address;
        this.dataDir = dataDir;
    }
}
