package io.zab.transport.netty;

import io.zab.PeerId;
import io.zab.transport.Transport;
import io.zab.transport.TransportContract;
import java.net.InetSocketAddress;
import java.util.Map;

/** The transport contract, bound to {@link NettyTransport} over real sockets on 127.0.0.x. */
class NettyTransportContractTest extends TransportContract {
    private Map<PeerId, InetSocketAddress> peers;

    @Override
    protected void prepareCluster(int size) {
        peers = TestNet.layout(size);
    }

    @Override
    protected Transport create(PeerId id) {
        return new NettyTransport(TestNet.config(peers).build());
    }

    @Override
    protected InetSocketAddress address(PeerId id) {
        return peers.get(id);
    }
}
