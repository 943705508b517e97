package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BoundRequestsTest {
    @Test
    void agreesWithASortedMapUnderRandomBindsAndRemovals() {
        for (int seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            BoundRequests bound = new BoundRequests();
            TreeMap<Zxid, Long> model = new TreeMap<>();
            long epoch = 1;
            long counter = 0;
            long nextId = 1;
            for (int step = 0; step < 20_000; step++) {
                int op = rnd.nextInt(100);
                if (op < 60) {
                    if (rnd.nextInt(50) == 0) {
                        epoch += 1 + rnd.nextInt(2);
                        counter = 0;
                    }
                    counter += 1 + rnd.nextInt(3);
                    Zxid z = new Zxid(epoch, counter);
                    if (rnd.nextInt(40) == 0 && !model.isEmpty()) {
                        // now and then a zxid below the newest (not seen in practice)
                        Zxid low = model.firstKey();
                        z = new Zxid(low.epoch(), low.counter() + 1 + rnd.nextInt(5));
                    }
                    if (model.containsKey(z)) {
                        continue; // a zxid names one txn: never bound twice
                    }
                    bound.bind(z, nextId);
                    model.put(z, nextId++);
                } else if (op < 90) {
                    Zxid upTo = pick(rnd, model, epoch, counter);
                    List<Long> got = new ArrayList<>();
                    bound.removeUpTo(upTo, got::add);
                    Map<Zxid, Long> head = model.headMap(upTo, true);
                    assertEquals(new ArrayList<>(head.values()), got, "seed " + seed);
                    head.clear();
                } else {
                    Zxid after = pick(rnd, model, epoch, counter);
                    List<Long> got = new ArrayList<>();
                    bound.removeAfter(after, got::add);
                    Map<Zxid, Long> tail = model.tailMap(after, false);
                    assertEquals(new ArrayList<>(tail.values()), got, "seed " + seed);
                    tail.clear();
                }
                assertEquals(model.size(), bound.size(), "seed " + seed + " step " + step);
            }
        }
    }

    @Test
    void zxidsWithTheHighBitOfTheEpochSetSortAfterTheOthers() {
        BoundRequests bound = new BoundRequests();
        bound.bind(new Zxid(5, 1), 1);
        bound.bind(new Zxid(Zxid.MAX_PART, 1), 2);
        List<Long> got = new ArrayList<>();
        bound.removeAfter(new Zxid(6, 0), got::add);
        assertEquals(List.of(2L), got);
        bound.removeUpTo(new Zxid(5, 1), got::add);
        assertEquals(List.of(2L, 1L), got);
        assertEquals(0, bound.size());
    }

    private static Zxid pick(SplittableRandom rnd, TreeMap<Zxid, Long> model, long epoch,
            long counter) {
        if (model.isEmpty() || rnd.nextInt(10) == 0) {
            return new Zxid(epoch, Math.max(0, counter - rnd.nextInt(3)));
        }
        Zxid first = model.firstKey();
        Zxid last = model.lastKey();
        return rnd.nextBoolean() ? new Zxid(first.epoch(), first.counter() + rnd.nextInt(20))
                : new Zxid(last.epoch(), Math.max(0, last.counter() - rnd.nextInt(20)));
    }
}
