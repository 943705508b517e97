package io.zab.examples.kv;

import io.netty.util.AsciiString;

/**
 * One HTTP answer of the KV API, before it meets a connection.
 *
 * @param retryAfter whether to send {@code Retry-After: 1}: only where the request was never
 *     applied and trying again soon may succeed
 * @param type the content type, or null to tell it from the body (JSON or a plain value)
 */
record Reply(int status, String body, boolean retryAfter, AsciiString type) {
    /** Prometheus's text exposition format. */
    static final AsciiString PROMETHEUS_TEXT =
            AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");
    // Header values as AsciiString: the HTTP encoder copies them without encoding each time.
    private static final AsciiString PLAIN_TEXT = AsciiString.cached("text/plain; charset=utf-8");
    private static final AsciiString JSON = AsciiString.cached("application/json");

    Reply(int status, String body, boolean retryAfter) {
        this(status, body, retryAfter, null);
    }

    static Reply metrics(String body) {
        return new Reply(200, body, false, PROMETHEUS_TEXT);
    }

    static Reply ok(String body) {
        return new Reply(200, body, false);
    }

    static Reply error(int status, String message) {
        return new Reply(status, Json.error(message), false);
    }

    /** A refusal the client may repeat after a second: the request was never applied. */
    static Reply retryLater(String message) {
        return new Reply(503, Json.error(message), true);
    }

    /** A value read back is plain text; everything we compose ourselves is JSON. */
    AsciiString contentType() {
        if (type != null) {
            return type;
        }
        return status == 200 && !body.startsWith("{") ? PLAIN_TEXT : JSON;
    }
}
