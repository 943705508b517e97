package io.zab.protocol.message;

import io.zab.Role;
import io.zab.election.Vote;

/**
 * An election notification: the sender's current vote, its election round (logical clock) and
 * its state. A node that is FOLLOWING or LEADING answers a LOOKING one with the leader it has.
 */
public record Notification(Vote vote, long round, Role state) implements Message {
}
