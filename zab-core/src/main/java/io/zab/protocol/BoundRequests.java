package io.zab.protocol;

import io.zab.Zxid;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Host requests bound to a txn and not yet delivered, by zxid: what a role change or a restored
 * snapshot must settle. Txns are bound in zxid order and leave from the front as they are
 * delivered, so two parallel arrays used as a queue serve; a TreeMap here cost a leader two
 * tree operations per txn (about a seventh of its protocol thread at 128 B). A zxid bound out
 * of order is still placed in order.
 */
final class BoundRequests {
    /** Packed zxids (unsigned order) and their request ids, live in [head, tail). */
    private long[] zxids = new long[64];
    private long[] requestIds = new long[64];
    private int head;
    private int tail;

    void bind(Zxid zxid, long requestId) {
        long z = zxid.toLong();
        if (tail == zxids.length) {
            makeRoom();
        }
        int i = tail;
        while (i > head && Long.compareUnsigned(zxids[i - 1], z) > 0) {
            i--;
        }
        System.arraycopy(zxids, i, zxids, i + 1, tail - i);
        System.arraycopy(requestIds, i, requestIds, i + 1, tail - i);
        zxids[i] = z;
        requestIds[i] = requestId;
        tail++;
    }

    /** Removes the requests bound to zxids up to {@code upTo}, oldest first, into {@code each}. */
    void removeUpTo(Zxid upTo, LongConsumer each) {
        long u = upTo.toLong();
        while (head < tail && Long.compareUnsigned(zxids[head], u) <= 0) {
            long id = requestIds[head++];
            each.accept(id);
        }
        if (head == tail) {
            head = 0;
            tail = 0;
        }
    }

    /** Removes the requests bound to zxids after {@code after}, oldest first, into {@code each}. */
    void removeAfter(Zxid after, LongConsumer each) {
        long a = after.toLong();
        int i = tail;
        while (i > head && Long.compareUnsigned(zxids[i - 1], a) > 0) {
            i--;
        }
        int end = tail;
        tail = i;
        for (int j = i; j < end; j++) {
            each.accept(requestIds[j]);
        }
    }

    int size() {
        return tail - head;
    }

    private void makeRoom() {
        int live = tail - head;
        if (head > 0 && live <= zxids.length / 2) {
            System.arraycopy(zxids, head, zxids, 0, live);
            System.arraycopy(requestIds, head, requestIds, 0, live);
        } else {
            long[] z = Arrays.copyOfRange(zxids, head, head + zxids.length * 2);
            long[] r = Arrays.copyOfRange(requestIds, head, head + requestIds.length * 2);
            zxids = z;
            requestIds = r;
        }
        head = 0;
        tail = live;
    }
}
