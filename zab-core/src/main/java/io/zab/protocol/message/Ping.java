package io.zab.protocol.message;

import io.zab.Zxid;

/**
 * PING: the leader is alive; {@code round} numbers quorum checks (liveness and sync).
 * {@code committed} is the leader's commit point when it sent the PING, so a learner can tell
 * how far behind it is (a status figure only: nothing is committed or delivered by it).
 */
public record Ping(long epoch, long round, Zxid committed) implements Message {

    public Ping {
        java.util.Objects.requireNonNull(committed, "committed");
    }

    /** A PING that tells no commit point (tests of liveness and transport). */
    public Ping(long epoch, long round) {
        this(epoch, round, Zxid.ZERO);
    }
}
