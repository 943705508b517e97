package io.zab.examples.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting the directory trees the process tests make (data directories, whole runs). */
final class Trees {
    private Trees() {
    }

    /** Deletes {@code dir} and everything below it; nothing if it does not exist. */
    static void delete(Path dir) throws IOException {
        deleteBelow(dir);
        Files.deleteIfExists(dir);
    }

    /** Deletes everything below {@code dir} and keeps {@code dir} (a mount point, say). */
    static void deleteBelow(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
