/**
 * {@link io.zab.transport.netty.NettyTransport}, the TCP implementation of the
 * {@link io.zab.transport.Transport} SPI, and its
 * {@link io.zab.transport.netty.NettyTransportConfig}.
 *
 * <p>Threading: {@code send} from any thread; each peer's connection state lives on one Netty
 * event loop ({@code PeerLink}), which also makes that peer's receiver callbacks; a connection's
 * writes run on its own channel's loop and flush once per drain. No thread here ever blocks on
 * the protocol, and the protocol never waits on the network.
 */
package io.zab.transport.netty;
