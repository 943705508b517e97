package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fast UTF-8 path refuses exactly what the strict decoder refuses. */
class KvUtf8Test {
    @Test
    void wellFormedTextDecodesAndAGenuineReplacementCharacterToo() throws Exception {
        for (String s : new String[] {"", "plain", "caf\u00e9 \u4e2d \ud83d\ude00",
                "real \ufffd inside"}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(s, Utf8.decode(b, 0, b.length));
        }
        byte[] framed = "xxabcxx".getBytes(StandardCharsets.UTF_8);
        assertEquals("abc", Utf8.decode(framed, 2, 3));
    }

    @Test
    void malformedBytesAreRefused() {
        byte[][] bad = {{(byte) 0xff}, {'a', (byte) 0xc3}, {(byte) 0xed, (byte) 0xa0,
                (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}};
        for (byte[] b : bad) {
            assertThrows(CharacterCodingException.class, () -> Utf8.decode(b, 0, b.length));
        }
    }

    @Test
    void aCommandWithMalformedTextIsRefusedWithAReason() {
        byte[] txn = KvCommand.put("k", "v").encode();
        txn[txn.length - 2] = (byte) 0xff; // the value's one byte
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvCommand.decode(ByteBuffer.wrap(txn)));
        assertEquals("kv string is not UTF-8", e.getMessage());
        assertEquals(KvCommand.put("k", "v\u00e9"), KvCommand.decode(ByteBuffer.wrap(
                KvCommand.put("k", "v\u00e9").encode())));
    }
}
