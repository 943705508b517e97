package io.zab.protocol.message;

/**
 * A wire message between two nodes: Zab's quorum packets and the election's notifications.
 * Immutable records with no behaviour; {@code io.zab.codec} turns them into bytes.
 */
public sealed interface Message permits FollowerInfo, ObserverInfo, LeaderInfo, AckEpoch, Diff,
        Trunc, Snap, NewLeader, AckNewLeader, UpToDate, Proposal, Ack, Commit, Inform, Ping,
        PingAck, Request, RequestRefused, SyncRequest, SyncReply, Notification, SnapChunk, SnapAck,
        Takeover, ChangeRequest {
}
