package io.zab.storage.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every change the file stores make to the file system goes through here: opening (and so
 * creating) files, renaming, deleting, and forcing a directory. {@link #REAL} is the JDK's file
 * system; tests substitute one that models a crash (unforced writes and directory changes are
 * lost) or injects I/O errors. Reading a directory listing goes straight to {@link Files}.
 *
 * <p>Implementations are called by the thread that owns the store using them, and by a log's
 * spare-segment thread at the same time (on files of their own), so they must be thread-safe.
 */
public interface FileIo {
    /** The real file system. */
    FileIo REAL = new FileIo() {
        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            return FileChannel.open(file, options);
        }

        @Override
        public void move(Path source, Path target) throws IOException {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }

        @Override
        public void delete(Path file) throws IOException {
            Files.deleteIfExists(file);
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }
    };

    /** Opens a file like {@link FileChannel#open(Path, OpenOption...)}. */
    FileChannel open(Path file, OpenOption... options) throws IOException;

    /** Renames atomically, replacing {@code target}; durable only after {@link #forceDirectory}. */
    void move(Path source, Path target) throws IOException;

    /** Deletes the file if it exists; durable only after {@link #forceDirectory}. */
    void delete(Path file) throws IOException;

    /** Makes every earlier create, rename and delete in {@code dir} durable. */
    void forceDirectory(Path dir) throws IOException;
}
