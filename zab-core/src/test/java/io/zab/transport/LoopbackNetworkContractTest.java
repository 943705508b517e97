package io.zab.transport;

import io.zab.PeerId;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The transport contract, bound to {@link LoopbackNetwork}: in-process tests rely on it too. */
class LoopbackNetworkContractTest extends TransportContract {
    private LoopbackNetwork network;

    @Override
    protected void prepareCluster(int size) {
        network = new LoopbackNetwork();
    }

    @Override
    protected Transport create(PeerId id) {
        return network.transport();
    }

    /** Any resolved address: the loopback network goes by id. */
    @Override
    protected InetSocketAddress address(PeerId id) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 1000 + id.value());
    }
}
