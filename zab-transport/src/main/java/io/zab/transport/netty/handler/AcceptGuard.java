package io.zab.transport.netty.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.zab.PeerId;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of the listening channel: reports a failed accept and keeps it from
 * stopping the node. Netty keeps the listening socket open on an I/O error and stops accepting
 * for a second; this says what happened, at most once a minute. Running out of file descriptors
 * ({@code EMFILE}, "Too many open files") is named as such, not as a network or disk fault: the
 * node keeps its established connections and accepts again once descriptors are free.
 *
 * <p>On the listening channel's event loop.
 */
public final class AcceptGuard extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptGuard.class);
    private static final long QUIET_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final PeerId self;
    private final LongSupplier nanoTime;
    private long quietUntil;
    private boolean logged;
    private long unlogged;

    public AcceptGuard(PeerId self, LongSupplier nanoTime) {
        this.self = self;
        this.nanoTime = nanoTime;
    }

    /** Whether {@code e} (or a cause) says the process is out of file descriptors. */
    public static boolean outOfDescriptors(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("EMFILE")
                    || m.contains("ENFILE") || m.contains("Too many open files in system"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        long now = nanoTime.getAsLong();
        if (logged && now - quietUntil < 0) {
            unlogged++;
            return;
        }
        String more = unlogged == 0 ? "" : " (" + unlogged + " more in the last minute)";
        logged = true;
        quietUntil = now + QUIET_NANOS;
        unlogged = 0;
        if (outOfDescriptors(cause)) {
            LOG.error("Sid {}: cannot accept a connection: the process is out of file"
                    + " descriptors ({}){}. This is not a disk or network fault: established"
                    + " connections carry on and accepting resumes once descriptors are free;"
                    + " raise the open-file limit (ulimit -n) or find what holds them", self,
                    cause.getMessage(), more);
        } else if (cause instanceof IOException) {
            LOG.warn("Sid {}: accepting a connection failed: {}{}; accepting resumes in a"
                    + " second", self, cause.toString(), more);
        } else {
            LOG.error("Sid {}: unexpected error on the listening socket{}", self, more, cause);
        }
    }
}
