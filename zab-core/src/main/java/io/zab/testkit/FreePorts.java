package io.zab.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * TCP ports on the loopback address that were free a moment ago, for a test that wires its own
 * nodes next to (or instead of) a {@link TestCluster}. Another process may still take one
 * before it is bound; the ports are picked to make that unlikely, not impossible.
 */
public final class FreePorts {
    /**
     * Below Linux's ephemeral range (32768 and up): a member restarted later binds its port
     * again, and a port in that range may meanwhile be handed to any outgoing connection.
     */
    private static final int LOW = 20_000;
    private static final int SPAN = 12_000;
    private static final int ATTEMPTS_PER_PORT = 200;

    private FreePorts() {
    }

    /**
     * Picks {@code n} distinct TCP ports on {@link InetAddress#getLoopbackAddress()}, at random
     * from 20000 to 31999 (below Linux's ephemeral range), or any port the kernel gives when
     * that range is crowded. Each was bound, then closed again before this returns: nothing
     * holds them. Any thread.
     *
     * @param n how many ports, 0 to 1000
     * @return {@code n} distinct port numbers, in no particular order
     * @throws IllegalArgumentException when {@code n} is below 0 or above 1000
     * @throws IOException when no port can be bound on the loopback address, not even one the
     *     kernel picks, or a bound port fails to close
     */
    public static int[] pick(int n) throws IOException {
        if (n < 0 || n > 1_000) {
            throw new IllegalArgumentException("n: 0 to 1000 ports, was " + n);
        }
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>(); // held open so no port is picked twice
        SplittableRandom random = new SplittableRandom();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = null;
                for (int attempt = 0; s == null && attempt < ATTEMPTS_PER_PORT; attempt++) {
                    s = tryBind(LOW + random.nextInt(SPAN));
                }
                if (s == null) { // the low range is crowded: let the kernel choose
                    s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                }
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    private static ServerSocket tryBind(int port) {
        try {
            return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
        } catch (IOException taken) {
            return null;
        }
    }
}
