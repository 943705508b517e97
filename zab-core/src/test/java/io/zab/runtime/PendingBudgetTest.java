package io.zab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The callers' budget: one request always fits, and limits that change with the membership. */
class PendingBudgetTest {
    @Test
    void oneRequestFitsWhateverItsSizeWhenNoneIsInFlight() {
        PendingBudget b = new PendingBudget(2, 100);
        assertTrue(b.acquire(500, 0));
        assertFalse(b.acquire(1, 0));
        b.release(500);
        assertTrue(b.acquire(60, 0));
        assertTrue(b.acquire(40, 0));
        assertFalse(b.acquire(0, 0), "two requests is the limit");
    }

    @Test
    void aShrunkBudgetKeepsWhatIsInFlightAndAdmitsAgainOnlyBelowTheNewLimits() {
        PendingBudget b = new PendingBudget(4, 1000);
        for (int i = 0; i < 3; i++) {
            assertTrue(b.acquire(100, 0));
        }
        b.resize(2, 1000);
        assertEquals(3, b.requests(), "nothing in flight loses its room");
        assertFalse(b.acquire(1, 0));
        b.release(100);
        assertFalse(b.acquire(1, 0), "still two in flight, the new limit");
        b.release(100);
        assertTrue(b.acquire(1, 0));
    }

    @Test
    void aWaitingCallerGetsRoomWhenTheBudgetGrows() throws Exception {
        PendingBudget b = new PendingBudget(1, 1000);
        assertTrue(b.acquire(10, 0));
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(
                () -> b.acquire(10, TimeUnit.SECONDS.toNanos(30)));
        for (int i = 0; i < 200 && !waiterBlocked(); i++) {
            Thread.sleep(10);
        }
        assertFalse(waiter.isDone());
        b.resize(2, 1000);
        assertTrue(waiter.get(10, TimeUnit.SECONDS));
        assertEquals(2, b.requests());
    }

    private static boolean waiterBlocked() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(
                t -> t.getState() == Thread.State.TIMED_WAITING
                        && java.util.Arrays.stream(t.getStackTrace()).anyMatch(
                                f -> f.getClassName().equals(PendingBudget.class.getName())));
    }
}
