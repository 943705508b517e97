package io.zab.election.fle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The election must stay a pure state machine (STYLE.md B1): no threads, clocks, I/O or
 * unseeded randomness in io.zab.election.fle. Checked on the compiled classes: a class that
 * uses one of these types names it in its constant pool.
 */
class PurityTest {
    private static final List<String> FORBIDDEN = List.of("java/lang/Thread",
            "java/lang/Runnable", "java/lang/System", "java/lang/Runtime",
            "java/lang/ProcessBuilder", "java/util/concurrent/", "java/util/Random",
            "java/util/SplittableRandom", "java/util/Timer", "java/security/SecureRandom",
            "java/time/", "java/io/", "java/nio/", "java/net/");

    @Test
    void noThreadsClocksIoOrRandomness() throws IOException, URISyntaxException {
        Path classes = Path.of(FastLeaderElection.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).resolve("io/zab/election/fle");
        List<String> found = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.list(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                checked++;
                String pool = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String bad : FORBIDDEN) {
                    if (pool.contains(bad)) {
                        found.add(f.getFileName() + " uses " + bad);
                    }
                }
            }
        }
        assertTrue(checked >= 5, "found only " + checked + " classes under " + classes);
        assertEquals(List.of(), found);
    }
}
