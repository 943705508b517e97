package io.zab.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's options: the documented defaults, and bad values naming their option. */
class BenchOptionsTest {
    @Test
    void defaultsAreTheDocumentedOnesWithTheDiskBound() {
        BenchOptions o = BenchOptions.parse(List.of());
        assertEquals(3, o.nodes());
        assertEquals(4, o.clients());
        assertEquals(1000, o.window());
        assertEquals(1024, o.payload());
        assertEquals(30, o.durationS());
        assertEquals(10, o.warmupS());
        assertTrue(o.fsync());
        assertTrue(o.diskBound());
        assertTrue(BenchOptions.usage().contains("--no-disk-bound"));
    }

    @Test
    void noDiskBoundTurnsItOffAndLeavesTheRest() {
        BenchOptions o = BenchOptions.parse(List.of("--no-disk-bound", "--payload", "128",
                "--compare", "zookeeper"));
        assertFalse(o.diskBound());
        assertEquals(128, o.payload());
        assertEquals("zookeeper", o.compare());
    }

    @Test
    void badValuesNameTheirOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(List.of("--disk-bound")));
        assertEquals("--disk-bound: unknown option", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(List.of("--nodes", "2")));
        assertTrue(e.getMessage().startsWith("--nodes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(List.of("--overload-factor", "2")));
        assertTrue(e.getMessage().startsWith("--overload-factor"), e.getMessage());
    }

    @Test
    void transferTakesARoundCountAndStandsAlone() {
        assertEquals(20, BenchOptions.parse(List.of("--transfer", "20")).transfer());
        assertEquals(0, BenchOptions.parse(List.of()).transfer());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> BenchOptions.parse(List.of("--transfer", "3", "--failover", "2")));
        assertTrue(e.getMessage().startsWith("--transfer"),
                e.getMessage());
    }
}
