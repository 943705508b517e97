package io.zab.testkit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or its time runs out: the one wait loop of the kit. A test
 * waits for a state, never for a fixed time, and a wait that fails says what the cluster looked
 * like.
 */
final class Poll {
    static final long INTERVAL_MS = 10;
    /** Upper bound on any one wait, so a typo in a Duration cannot hang a build for days. */
    static final Duration LONGEST = Duration.ofHours(1);

    private Poll() {
    }

    /**
     * Returns once {@code condition} holds; throws TimeoutException naming {@code what} and
     * the cluster's {@code state} when {@code timeout} passes first. The condition is tried at
     * least once, and at most once per {@link #INTERVAL_MS} for the length of the timeout.
     */
    static void until(String what, Duration timeout, BooleanSupplier condition,
            Supplier<String> state) throws InterruptedException, TimeoutException {
        checkTimeout(timeout);
        long start = System.nanoTime();
        long polls = Math.max(1, timeout.toMillis() / INTERVAL_MS + 1);
        for (long i = 0; i < polls; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - start >= timeout.toNanos()) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(INTERVAL_MS);
        }
        throw new TimeoutException("waited " + timeout + " for " + what + ", in vain: "
                + state.get());
    }

    static void checkTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("timeout: 0 to " + LONGEST + ", was " + timeout);
        }
    }
}
