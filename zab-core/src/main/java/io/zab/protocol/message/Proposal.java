package io.zab.protocol.message;

import io.zab.PeerId;
import io.zab.protocol.Txn;

/**
 * PROPOSAL: a txn for the learner's history. {@code origin} and {@code requestId} name the node
 * and host request that asked for it (origin null for the leader's own or sync-stream txns), so
 * a forwarding learner can complete its caller's future when it delivers the txn.
 */
public record Proposal(Txn txn, PeerId origin, long requestId) implements Message {
}
