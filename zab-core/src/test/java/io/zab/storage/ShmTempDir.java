package io.zab.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Puts a {@code @TempDir} on tmpfs ({@code /dev/shm}) when there is one. For tests that model
 * durability themselves ({@code CrashFs}) and make many small file system calls: on tmpfs those
 * cost little, which keeps the suite fast. Elsewhere the default temp directory is used.
 */
public final class ShmTempDir implements TempDirFactory {
    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context)
            throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "zab-test-");
        }
        return Files.createTempDirectory("zab-test-");
    }
}
