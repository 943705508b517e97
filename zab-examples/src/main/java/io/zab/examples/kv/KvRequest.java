package io.zab.examples.kv;

/**
 * One complete HTTP request as the KV API sees it: no headers, for the API reads none.
 *
 * @param target the raw request-target, path and query still percent-encoded
 */
record KvRequest(String method, String target, byte[] body) {
}
