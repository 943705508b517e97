package io.zab.codec;

/**
 * Bytes that are not a valid encoding: an unknown type or version, a truncated field, a length
 * out of range, an unknown enum code, trailing bytes, or an invalid id. The message names what
 * was wrong and where (offset within the decoded buffer), so a caller can log it with the peer or
 * file it came from.
 *
 * <p>This is the only exception {@link MessageCodec}'s decoders throw for bad input. Created
 * and thrown on the decoding thread; immutable once thrown.
 */
public final class CodecException extends Exception {
    public CodecException(String message) {
        super(message);
    }
}
