package io.zab.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zab.protocol.message.Message;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mutated encodings of random messages: decoding must either fail with a CodecException or give
 * a valid message whose encoding is exactly the input (the format is canonical). Any other
 * exception, or an allocation sized by a lying length, fails the test.
 */
class MessageCodecFuzzTest {
    private static final int ROUNDS = 20_000;

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void mutatedEncodingsFailCleanlyOrDecodeCanonically(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        RandomMessages gen = new RandomMessages(seed, 40);
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] input = mutate(MessageCodec.encode(gen.next()), random);
            try {
                Message m = MessageCodec.decode(ByteBuffer.wrap(input));
                assertArrayEquals(input, MessageCodec.encode(m), "re-encoding of " + m);
                decoded++;
            } catch (CodecException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
                refused++;
            } catch (RuntimeException | Error e) {
                fail("input " + Arrays.toString(input) + " threw " + e, e);
            }
        }
        // Both outcomes must actually occur, or the mutations are too weak or too strong.
        assertTrue(decoded > ROUNDS / 20, "decoded " + decoded);
        assertTrue(refused > ROUNDS / 20, "refused " + refused);
    }

    private static byte[] mutate(byte[] in, SplittableRandom random) {
        byte[] out = in;
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            switch (random.nextInt(6)) {
                case 0:
                    if (out.length > 0) {
                        int at = random.nextInt(out.length);
                        out[at] ^= (byte) (1 << random.nextInt(8));
                    }
                    break;
                case 1:
                    out = Arrays.copyOf(out, random.nextInt(out.length + 1));
                    break;
                case 2:
                    out = Arrays.copyOf(out, out.length + 1 + random.nextInt(8));
                    break;
                case 3:
                    if (out.length > 0) {
                        out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                    }
                    break;
                case 4:
                    if (out.length >= 4) {
                        int at = random.nextInt(out.length - 3);
                        ByteBuffer.wrap(out).putInt(at, lyingLength(random));
                    }
                    break;
                default:
                    if (out.length > 1) {
                        out[1] = (byte) random.nextInt(24);
                    }
                    break;
            }
        }
        return out;
    }

    private static int lyingLength(SplittableRandom random) {
        int[] lies = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0, 1 << 20, 255};
        return lies[random.nextInt(lies.length)];
    }
}
