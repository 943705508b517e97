package io.zab.protocol.message;

/**
 * REQUEST: a learner forwards a host's write to the leader. {@code waitTicks} is how long the
 * leader may hold it for room in its in-flight budget before refusing it (0: refuse at once when
 * there is no room); every REQUEST is either proposed or answered by {@link RequestRefused}.
 */
public record Request(long requestId, byte[] payload, int waitTicks) implements Message {
    public Request {
        if (waitTicks < 0) {
            throw new IllegalArgumentException("waitTicks must not be negative: " + waitTicks);
        }
    }

    /** A request the leader must answer at once when it has no room. */
    public Request(long requestId, byte[] payload) {
        this(requestId, payload, 0);
    }
}
