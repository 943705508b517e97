package io.zab.testkit;

import io.zab.StateMachine;
import io.zab.ZabNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * One member of a {@link TestCluster}: what stays across its restarts (id, place in the
 * ensemble, address, data directory) and what each start replaces (node, state machine).
 * Written by the thread that starts and stops members, read by any.
 */
final class Member<S extends StateMachine> {
    final int id;
    final boolean voter;
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

    Member(int id, boolean voter, InetSocketAddress address, Path dataDir) {
        this.id = id;
        this.voter = voter;
        this.address = address;
        this.dataDir = dataDir;
    }
}
