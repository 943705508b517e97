package io.zab.protocol.message;

import io.zab.Zxid;

/** OBSERVERINFO: as {@link FollowerInfo}, from an observer, which never counts in a quorum. */
public record ObserverInfo(long acceptedEpoch, Zxid lastZxid) implements Message {
}
