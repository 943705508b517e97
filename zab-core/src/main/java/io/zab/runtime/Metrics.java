package io.zab.runtime;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.ZabException;
import io.zab.ZabMetrics;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's {@link ZabMetrics}, with its id filled in and the host's exceptions kept from the
 * threads that report: a failing metrics sink must not stop a node. The first failure is
 * logged with its stack, later ones not at all. One method per event, each with its own try:
 * a lambda per call would allocate on the commit path.
 */
final class Metrics {
    private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);

    private final PeerId node;
    private final ZabMetrics sink;
    private final AtomicBoolean warned = new AtomicBoolean();

    Metrics(PeerId node, ZabMetrics sink) {
        this.node = node;
        this.sink = sink;
    }

    void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
        try {
            sink.roleChanged(node, role, epoch, leader);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void electionFinished(long nanos) {
        try {
            sink.electionFinished(node, nanos);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void committed(int txns, long bytes) {
        try {
            sink.committed(node, txns, bytes);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void commitLatency(long nanos) {
        try {
            sink.commitLatency(node, nanos);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void fsync(long nanos) {
        try {
            sink.fsync(node, nanos);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void snapshotSaved(long nanos, long bytes) {
        try {
            sink.snapshotSaved(node, nanos, bytes);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void syncStarted(ZabMetrics.Sync mode, PeerId learner) {
        try {
            sink.syncStarted(node, mode, learner);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    void handshakeRefused() {
        try {
            sink.handshakeRefused(node);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    /** Counts a refusal if {@code error} is one (never applied); other errors are not. */
    void refused(Throwable error) {
        ZabMetrics.Refusal reason = refusalOf(error);
        if (reason == null) {
            return;
        }
        try {
            sink.refused(node, reason);
        } catch (RuntimeException e) {
            warn(e);
        }
    }

    static ZabMetrics.Refusal refusalOf(Throwable error) {
        if (error instanceof ZabException.OverloadedException) {
            return ZabMetrics.Refusal.OVERLOADED;
        } else if (error instanceof ZabException.NotLeaderException) {
            return ZabMetrics.Refusal.NOT_LEADER;
        } else if (error instanceof ZabException.TxnTooLargeException) {
            return ZabMetrics.Refusal.TXN_TOO_LARGE;
        } else if (error instanceof ZabException.RecoveringException) {
            return ZabMetrics.Refusal.RECOVERING;
        } else if (error instanceof ZabException.ClosedException) {
            return ZabMetrics.Refusal.CLOSED;
        }
        return null;
    }

    private void warn(RuntimeException e) {
        if (warned.compareAndSet(false, true)) {
            LOG.warn("node {}: the metrics sink {} failed; its failures are ignored from now on",
                    node, sink.getClass().getName(), e);
        }
    }
}
