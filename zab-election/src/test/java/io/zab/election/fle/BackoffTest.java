package io.zab.election.fle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static List<Integer> fires(Backoff b, int ticks) {
        List<Integer> out = new ArrayList<>();
        for (int t = 1; t <= ticks; t++) {
            if (b.onTick()) {
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void doublesUntilTheCap() {
        Backoff b = new Backoff(2, 10);
        assertEquals(List.of(2, 6, 14, 24, 34, 44), fires(b, 50));
        assertEquals(10, b.intervalTicks());
    }

    @Test
    void restartPostponesWithoutDoublingAndResetStartsOver() {
        Backoff b = new Backoff(2, 100);
        assertEquals(List.of(2), fires(b, 3)); // interval now 4, 3 ticks left
        b.restart();
        assertEquals(List.of(4), fires(b, 4));
        b.reset();
        assertEquals(2, b.intervalTicks());
        assertEquals(List.of(2), fires(b, 2));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(5, 4));
        assertThrows(IllegalArgumentException.class, () -> new FleConfig(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FleConfig(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new FleConfig(1, 3, 2));
    }
}
