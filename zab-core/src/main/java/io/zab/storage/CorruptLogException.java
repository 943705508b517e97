package io.zab.storage;

import io.zab.Zxid;
import java.nio.file.Path;

/**
 * The transaction log is damaged in the middle: a bad record is followed by good ones (real
 * corruption, not the torn tail a crash leaves), or a segment is missing from the chain. Recovery
 * refuses to start rather than silently drop records that may have been acknowledged.
 *
 * <p>Immutable; any thread.
 */
public final class CorruptLogException extends CorruptStorageException {
    private static final long serialVersionUID = 1L;

    private final Zxid lastGoodZxid;

    public CorruptLogException(Path file, long offset, Zxid lastGoodZxid, String problem) {
        super(file, offset, problem + " (last good zxid before it: " + lastGoodZxid + ")");
        this.lastGoodZxid = lastGoodZxid;
    }

    /** The zxid of the last intact record before the damage (or the segment base). */
    public Zxid lastGoodZxid() {
        return lastGoodZxid;
    }
}
