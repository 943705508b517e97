package io.zab.examples.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding that costs little for well-formed text. Every value is decoded on the
 * HTTP thread and again on each replica's delivery thread, and a CharsetDecoder of its own per
 * call was a fifth of a busy leader's CPU. The String constructor is far faster but replaces a
 * malformed sequence with U+FFFD instead of failing: text without U+FFFD was well-formed, and
 * only text with one (rare; it may be a real U+FFFD) goes through the strict decoder.
 */
final class Utf8 {
    private Utf8() {
    }

    static String decode(byte[] b, int offset, int length) throws CharacterCodingException {
        String s = new String(b, offset, length, StandardCharsets.UTF_8);
        if (s.indexOf('\uFFFD') < 0) {
            return s;
        }
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b, offset, length)).toString();
    }
}
