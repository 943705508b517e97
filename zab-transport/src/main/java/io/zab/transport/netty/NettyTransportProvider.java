package io.zab.transport.netty;

import io.zab.ZabConfig;
import io.zab.codec.MessageCodec;
import io.zab.transport.Transport;
import io.zab.transport.TransportProvider;

/**
 * The default transport of a node built without one: Netty, plaintext, with the members, the
 * cluster id and a frame limit that holds a PROPOSAL of the largest txn, all from the node's
 * {@link ZabConfig}. For TLS or other settings build a {@link NettyTransportConfig} and give the
 * node a transport factory instead.
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
        return NettyTransportConfig.builder().clusterId(config.clusterId())
                .peers(config.members()).maxFrameBytes(frame).build();
    }
}
