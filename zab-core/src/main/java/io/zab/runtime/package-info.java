/**
 * The only package with threads: the node's runtime. {@link io.zab.runtime.NodeLoop} holds the
 * host's side (futures, status, listeners) over the current incarnation: a protocol thread that
 * owns the core, the {@link io.zab.runtime.LogWriter} (group commit) and the delivery thread.
 * After a storage failure a recovery thread takes the incarnation apart and, with a backoff,
 * builds the next one from what is durable. When a membership change names a peer by host name
 * (not a literal IP or one the configuration resolved), a resolver thread looks it up, so no DNS
 * lookup runs on the protocol thread ({@link io.zab.runtime.TransportPeers}). Every queue
 * between threads is bounded.
 */
package io.zab.runtime;
