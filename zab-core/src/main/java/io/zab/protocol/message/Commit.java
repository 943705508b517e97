package io.zab.protocol.message;

import io.zab.Zxid;

/** COMMIT: cumulative; every proposal up to {@code zxid} is committed. */
public record Commit(Zxid zxid) implements Message {
}
