package io.zab.transport;

import io.zab.ZabConfig;

/**
 * Service provider interface: makes the transport of a node from its {@link ZabConfig} alone
 * (members and their addresses, cluster id, largest txn). A node built without a transport uses
 * the first provider registered with {@link java.util.ServiceLoader}; zab-transport registers
 * its Netty transport, so having it on the class path is all the wiring a node needs.
 * Implement it only to plug in a transport of your own.
 */
public interface TransportProvider {
    /** A fresh, unstarted transport for the node {@code config} describes. */
    Transport create(ZabConfig config);
}
