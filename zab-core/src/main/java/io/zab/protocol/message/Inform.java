package io.zab.protocol.message;

import io.zab.protocol.Txn;

/** INFORM: a committed txn, sent to observers instead of PROPOSAL and COMMIT. */
public record Inform(Txn txn) implements Message {
}
