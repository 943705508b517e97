package io.zab.election;

import io.zab.PeerId;
import io.zab.protocol.message.Notification;
import io.zab.protocol.quorum.QuorumVerifier;
import java.util.Set;

/**
 * What an election sees of its node: its id, who votes, who observes, and a way to send. Given
 * by {@code ZabCore} on the protocol thread; {@link #send} only records an action, it does no
 * I/O.
 */
public interface ElectionContext {
    PeerId self();

    QuorumVerifier quorum();

    Set<PeerId> observers();

    void send(PeerId to, Notification notification);
}
