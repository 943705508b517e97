package io.zab.transport.netty;

import io.zab.ZabConfig;
import io.zab.codec.MessageCodec;
import io.zab.transport.Transport;
import io.zab.transport.TransportProvider;

/**
 * The transport of a node built from a {@link ZabConfig}: Netty with the config's members,
 * cluster id, TLS files, peer secret and handshake limits, and a frame limit that holds a PROPOSAL
 * of the largest txn. Registered as a {@link TransportProvider} service, so zab-core finds it on
 * the class path.
 */
public final class NettyTransportProvider implements TransportProvider {
    @Override
    public Transport create(ZabConfig config) {
        return new NettyTransport(configFor(config));
    }

    /** The transport settings {@link #create} uses, for a caller that wants to adjust them. */
    public static NettyTransportConfig configFor(ZabConfig config) {
        int frame = Math.max((1 << 20) + 1024,
                MessageCodec.txnMessageBytes(config.maxTxnBytes()));
        NettyTransportConfig.Builder b = NettyTransportConfig.builder()
                .clusterId(config.clusterId()).peers(config.members()).maxFrameBytes(frame)
                .handshakeTimeoutMs(config.handshakeTimeoutMs())
                .pendingHandshakesMax(config.pendingHandshakesMax())
                .peerSecret(config.peerSecret().orElse(null));
        config.tls().ifPresent(t -> b.tls(new NettyTransportConfig.Tls(t.privateKeyPem(),
                t.certificateChainPem(), t.trustedCaPem())));
        return b.build();
    }
}
