package io.zab.protocol.message;

import io.zab.PeerId;
import io.zab.protocol.Txn;

/**
 * INFORM: a committed txn, sent to observers instead of PROPOSAL and COMMIT. Like a proposal it
 * names the node and request that asked for it, so a forwarding observer can complete its
 * caller's future.
 */
public record Inform(Txn txn, PeerId origin, long requestId) implements Message {
}
