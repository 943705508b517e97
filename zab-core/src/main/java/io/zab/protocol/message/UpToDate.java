package io.zab.protocol.message;

import io.zab.Zxid;

/** UPTODATE: the leader is established; everything up to {@code committedZxid} is committed. */
public record UpToDate(long epoch, Zxid committedZxid) implements Message {
}
