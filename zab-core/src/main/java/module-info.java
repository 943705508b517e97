/**
 * zab's core. A host sees {@code io.zab}: {@link io.zab.ZabNode}, its {@link io.zab.ZabConfig},
 * the {@link io.zab.StateMachine} it implements, and the types they return; and, for its
 * tests, {@code io.zab.testkit}: an in-JVM cluster of its state machine. The protocol, its wire
 * messages and codec, the runtime, the stores and the transport and election SPIs are zab's
 * own: exported only to zab-transport and zab-election, which implement those SPIs and are
 * found through {@link java.util.ServiceLoader}.
 */
module io.zab.core {
    requires org.slf4j;
    requires java.management;

    exports io.zab;
    exports io.zab.testkit;

    exports io.zab.codec to io.zab.transport.netty;
    exports io.zab.election to io.zab.election.fle;
    exports io.zab.protocol to io.zab.transport.netty, io.zab.election.fle;
    exports io.zab.protocol.message to io.zab.transport.netty, io.zab.election.fle;
    exports io.zab.protocol.quorum to io.zab.election.fle;
    exports io.zab.transport to io.zab.transport.netty;

    uses io.zab.transport.TransportProvider;
    uses io.zab.election.LeaderElection;
}
