package io.zab.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A store found damaged data it cannot repair without losing something that may have been
 * acknowledged. Start-up stops with this error; the message names the file, the offset and how to
 * recover: wipe this node's data directory and restart it as joining the existing cluster, so it
 * abstains from elections until the leader has resynced it (DIFF or SNAP, the leader's choice).
 *
 * <p>Immutable; any thread.
 */
public class CorruptStorageException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What an operator can do about any damaged store of a replica. */
    public static final String ADVICE = "To recover, stop this node, wipe its data directory and"
            + " start it again with initialClusterState EXISTING (server:"
            + " --initial-cluster-state existing): it then takes no part in elections until the"
            + " leader has resynced its history. Do this on one node at a time, and only while a"
            + " quorum of the other nodes is healthy.";

    private final Path file;
    private final long offset;

    public CorruptStorageException(Path file, long offset, String problem) {
        super(file + " at offset " + offset + ": " + problem + ". " + ADVICE);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** Where in {@link #file()} the damage starts. */
    public long offset() {
        return offset;
    }
}
