package io.zab.examples.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on 127.0.0.1 for one direction of one link between two server processes: node A
 * is told that node B lives at this proxy's port, and the proxy forwards to B's real quorum
 * port. {@link #cut()} closes every relayed connection (both ends see it drop, as they would a
 * network partition that resets connections) and refuses new ones until {@link #heal()}. Needs
 * no privileges and touches nothing outside this JVM, unlike iptables rules on the shared host.
 *
 * <p>Thread-safe: the test thread cuts and heals; one accept thread and two pump threads per
 * connection do the relaying.
 */
final class LinkProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final String name;
    private final List<Socket> open = new ArrayList<>();
    private volatile boolean cut;
    private volatile boolean closed;

    LinkProxy(String name, int targetPort) throws IOException {
        this.name = name;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                closeQuietly(in);
                continue;
            }
            Socket out = new Socket();
            try {
                out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort),
                        2_000);
            } catch (IOException e) {
                closeQuietly(in);
                closeQuietly(out);
                continue;
            }
            synchronized (open) {
                if (cut) {
                    closeQuietly(in);
                    closeQuietly(out);
                    continue;
                }
                open.add(in);
                open.add(out);
            }
            pump(in, out);
            pump(out, in);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                for (int n; (n = i.read(buf)) >= 0;) {
                    o.write(buf, 0, n);
                    o.flush();
                }
            } catch (IOException e) {
                // The other pump or a cut closed it; fall through and close both.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                synchronized (open) {
                    open.remove(from);
                    open.remove(to);
                }
            }
        }, "proxy-" + name + "-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Drops every relayed connection and refuses new ones. */
    void cut() {
        List<Socket> now;
        synchronized (open) {
            cut = true;
            now = new ArrayList<>(open);
        }
        for (Socket s : now) {
            closeQuietly(s);
        }
    }

    void heal() {
        cut = false;
    }

    boolean isCut() {
        return cut;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Already gone.
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException e) {
            // Already closed.
        }
    }
}
