package io.zab.transport.netty.codec;

import io.netty.handler.codec.DecoderException;

/**
 * A peer broke the wire protocol: a bad frame, a bad handshake, a bad message. The reason is a
 * sentence for the one WARN line the connection guard logs before it closes the connection.
 * Extends Netty's {@code DecoderException} so decoders can throw it without it being wrapped.
 *
 * <p>Thrown and caught on the connection's event loop.
 */
public final class ProtocolViolation extends DecoderException {
    public ProtocolViolation(String reason) {
        super(reason);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Expected on bad input; the reason says everything and a stack per bad frame is waste.
        return this;
    }
}
