package io.zab.examples.kv;

/**
 * What one KV HTTP server accepts, each limit in bytes, connections or milliseconds. The API
 * has no authentication, so these are what stands between a careless or hostile client and the
 * server's memory.
 *
 * @param maxBodyBytes largest request body (a value); beyond it 413
 * @param maxHeaderBytes largest request line, and largest header block; beyond them 414 and
 *     431
 * @param maxConnections open connections; one more is closed as soon as it is accepted
 * @param idleTimeoutMs a connection with no request in flight and no traffic this long is
 *     closed
 * @param maxInFlightBytes request bytes held at once, over all connections: bodies being read
 *     or queued, and writes handed to the node and not yet completed; a request beyond it gets
 *     503 with Retry-After (and, if its body was not read, the connection closes). Keep it,
 *     plus a few of the largest txns, under the node's {@code pendingMaxBytes}, and
 *     {@code maxConnections} under its {@code pendingMaxTxns} (each connection has at most one
 *     request in flight): then the node's timed submit never waits on an event loop
 */
public record HttpLimits(int maxBodyBytes, int maxHeaderBytes, int maxConnections,
        long idleTimeoutMs, long maxInFlightBytes) {
    public static final int DEFAULT_MAX_HEADER_BYTES = 8 << 10;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
    /** Half the node's default pendingMaxBytes (32 MiB). */
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 16L << 20;

    public HttpLimits {
        if (maxBodyBytes < 0 || maxHeaderBytes <= 0 || maxConnections <= 0
                || idleTimeoutMs <= 0 || maxInFlightBytes <= 0) {
            throw new IllegalArgumentException("HTTP limits must be positive: " + this);
        }
    }

    /** The defaults, with bodies up to {@code maxBodyBytes}. */
    public static HttpLimits defaults(int maxBodyBytes) {
        return new HttpLimits(maxBodyBytes, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    public HttpLimits withMaxHeaderBytes(int n) {
        return new HttpLimits(maxBodyBytes, n, maxConnections, idleTimeoutMs, maxInFlightBytes);
    }

    public HttpLimits withMaxConnections(int n) {
        return new HttpLimits(maxBodyBytes, maxHeaderBytes, n, idleTimeoutMs, maxInFlightBytes);
    }

    public HttpLimits withIdleTimeoutMs(long ms) {
        return new HttpLimits(maxBodyBytes, maxHeaderBytes, maxConnections, ms, maxInFlightBytes);
    }

    public HttpLimits withMaxInFlightBytes(long n) {
        return new HttpLimits(maxBodyBytes, maxHeaderBytes, maxConnections, idleTimeoutMs, n);
    }
}
