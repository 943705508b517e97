package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HandoffTest {
    private static final int PRODUCERS = 4;
    private static final int EACH = 200_000;

    @Test
    void everyItemFromEveryProducerArrivesOnceAndInItsProducersOrder() throws Exception {
        Handoff<long[]> q = new Handoff<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < EACH; i++) {
                    q.add(new long[] {producer, i});
                    if (i % 1000 == 0) {
                        Thread.yield(); // let the consumer drain and fall asleep now and then
                    }
                }
            });
            t.start();
            producers.add(t);
        }
        go.countDown();
        long[] next = new long[PRODUCERS];
        int received = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (received < PRODUCERS * EACH && System.nanoTime() < deadline) {
            long[] item = q.poll(100, TimeUnit.MILLISECONDS);
            if (item == null) {
                continue;
            }
            assertEquals(next[(int) item[0]], item[1], "producer " + item[0] + "'s order");
            next[(int) item[0]]++;
            received++;
        }
        for (Thread t : producers) {
            t.join(10_000);
        }
        assertEquals(PRODUCERS * EACH, received, "every item arrived");
        assertNull(q.poll(), "and no more");
    }

    @Test
    void aSleepingConsumerIsWokenByAnAdd() throws Exception {
        Handoff<String> q = new Handoff<>();
        AtomicReference<String> got = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread consumer = new Thread(() -> {
            try {
                got.set(q.take());
            } catch (InterruptedException e) {
                got.set("interrupted");
            }
            done.countDown();
        });
        consumer.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (consumer.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.TIMED_WAITING, consumer.getState(), "the consumer sleeps");
        q.add("x");
        assertTrue(done.await(10, TimeUnit.SECONDS), "woken by the add");
        assertEquals("x", got.get());
    }

    @Test
    void aTimedPollReturnsNullWhenNothingCameAndAnInterruptEndsTheWait() throws Exception {
        Handoff<String> q = new Handoff<>();
        long t0 = System.nanoTime();
        assertNull(q.poll(30, TimeUnit.MILLISECONDS));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(30), "it waited");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> q.poll(10, TimeUnit.SECONDS));
        assertFalse(Thread.interrupted(), "the interrupt was consumed by the exception");
        q.add("a");
        q.clear();
        assertTrue(q.isEmpty());
    }
}
