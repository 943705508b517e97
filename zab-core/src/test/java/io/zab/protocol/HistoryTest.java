package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HistoryTest {
    @Test
    void runningBytesAgreeWithTheTxnsThroughAppendsTrimsAndTruncations() {
        SplittableRandom rnd = new SplittableRandom(7);
        History h = new History(Zxid.ZERO, List.of());
        List<Txn> model = new ArrayList<>(); // what the history should hold
        long epoch = 1;
        long counter = 0;
        for (int step = 0; step < 5_000; step++) {
            int op = rnd.nextInt(10);
            if (op < 7) {
                Txn t = new Txn(new Zxid(epoch, ++counter), new byte[rnd.nextInt(300)]);
                h.append(t);
                model.add(t);
            } else if (op < 9) {
                int maxTxns = 1 + rnd.nextInt(200);
                Zxid keep = model.isEmpty() ? h.base()
                        : model.get(rnd.nextInt(model.size())).zxid();
                h.trim(maxTxns, 1L << 40, keep);
                while (model.size() > maxTxns && !model.get(0).zxid().isAfter(keep)) {
                    model.remove(0);
                }
            } else if (!model.isEmpty()) {
                int keep = rnd.nextInt(model.size());
                h.truncateAfter(model.get(keep).zxid());
                model.subList(keep + 1, model.size()).clear();
                epoch++;
                counter = 0;
            }
            assertEquals(model.size(), h.size(), "step " + step);
            assertEquals(sum(model), h.bytes(), "step " + step);
            if (!model.isEmpty()) {
                int a = rnd.nextInt(model.size());
                int b = a + rnd.nextInt(model.size() - a);
                Zxid from = a == 0 ? h.base() : model.get(a - 1).zxid();
                assertEquals(sum(model.subList(a, b + 1)), h.bytesBetween(from,
                        model.get(b).zxid()), "step " + step);
                assertEquals(model.subList(a, b + 1), h.between(from, model.get(b).zxid()));
            }
        }
    }

    private static long sum(List<Txn> txns) {
        long bytes = 0;
        for (Txn t : txns) {
            bytes += t.data().length;
        }
        return bytes;
    }
}
