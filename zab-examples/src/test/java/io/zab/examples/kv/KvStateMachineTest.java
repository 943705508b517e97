package io.zab.examples.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {
    private static Object apply(KvStateMachine kv, long counter, KvCommand c) {
        return kv.deliver(new Zxid(1, counter), ByteBuffer.wrap(c.encode()));
    }

    @Test
    void commandsRoundTripAndGarbageIsRejectedWithAReason() {
        for (KvCommand c : new KvCommand[] {KvCommand.put("k", "v"), KvCommand.delete("k"),
                KvCommand.cas("k", null, "v"), KvCommand.cas("ключ", "old", "новый")}) {
            assertEquals(c, KvCommand.decode(ByteBuffer.wrap(c.encode())));
        }
        SplittableRandom r = new SplittableRandom(3);
        byte[] good = KvCommand.cas("key", "a", "b").encode();
        for (int i = 0; i < 5_000; i++) {
            byte[] bad = good.clone();
            bad[r.nextInt(bad.length)] ^= (byte) (1 << r.nextInt(8));
            try {
                KvCommand.decode(ByteBuffer.wrap(bad));
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage() != null);
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> KvCommand.decode(ByteBuffer.wrap(new byte[] {9})));
    }

    @Test
    void compareAndSetIsDecidedInDeliver() {
        KvStateMachine kv = new KvStateMachine();
        assertEquals(new KvResult(true, null), apply(kv, 1, KvCommand.cas("k", null, "a")));
        assertEquals(new KvResult(false, "a"), apply(kv, 2, KvCommand.cas("k", null, "b")));
        assertEquals(new KvResult(false, "a"), apply(kv, 3, KvCommand.cas("k", "x", "b")));
        assertEquals(new KvResult(true, "a"), apply(kv, 4, KvCommand.cas("k", "a", "b")));
        assertEquals("b", kv.get("k"));
        assertEquals(new KvResult(true, "b"), apply(kv, 5, KvCommand.delete("k")));
        assertNull(kv.get("k"));
        assertEquals(new KvResult(false, null), apply(kv, 6, KvCommand.delete("k")));
    }

    @Test
    void snapshotRestoresTheSameStateAndDigest() throws Exception {
        KvStateMachine a = new KvStateMachine();
        for (int i = 0; i < 100; i++) {
            apply(a, i + 1, KvCommand.put("k" + i % 17, "v" + i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        a.snapshot(out);
        KvStateMachine b = new KvStateMachine();
        apply(b, 1, KvCommand.put("stale", "x"));
        b.restore(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(a.digest(), b.digest());
        assertEquals(a.lastApplied(), b.lastApplied());
        assertNull(b.get("stale"));
        apply(b, 101, KvCommand.put("new", "y"));
        assertFalse(a.digest().equals(b.digest()));
    }
}
