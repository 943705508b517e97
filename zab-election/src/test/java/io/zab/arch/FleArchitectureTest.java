package io.zab.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * zab-core's architecture guard over zab-election's fle package: no threads, locks, clocks,
 * files, sockets, unseeded randomness, system properties or mutable statics (STYLE.md B1).
 */
class FleArchitectureTest {
    @Test
    void fastLeaderElectionIsDeterministic() throws IOException {
        Path fle = Path.of("src/main/java/io/zab/election/fle");
        assertTrue(Files.isDirectory(fle), "run from the zab-election module: " + fle);
        assertEquals(List.of(), ArchitectureTest.violations(fle));
    }
}
