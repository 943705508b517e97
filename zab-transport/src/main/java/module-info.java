/**
 * zab's transport: Netty between the members, with mutual TLS when the config names its files.
 * It exports nothing to hosts; zab-core finds it as a {@code TransportProvider} service.
 */
module io.zab.transport.netty {
    requires io.zab.core;
    requires org.slf4j;
    requires java.naming;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    // Its classes are always there; the native library beside them is optional, and without it
    // the transport runs on NIO.
    requires io.netty.transport.classes.epoll;

    provides io.zab.transport.TransportProvider
            with io.zab.transport.netty.NettyTransportProvider;
}
