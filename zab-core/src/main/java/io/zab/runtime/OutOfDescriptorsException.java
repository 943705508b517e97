package io.zab.runtime;

import java.io.IOException;

/**
 * A storage operation failed because the process ran out of file descriptors ({@code EMFILE},
 * "Too many open files", or the system-wide {@code ENFILE}): not a fault of the disk or of the
 * data on it. The node handles it as it handles a storage failure (it stops acking, leaves, and
 * reopens its stores with a backoff, which succeeds once descriptors are free), but says what it
 * is, so an operator raises the open-file limit instead of replacing a disk.
 *
 * <p>Immutable; any thread.
 */
public final class OutOfDescriptorsException extends IOException {
    private static final long serialVersionUID = 1L;

    OutOfDescriptorsException(Throwable cause) {
        super("the process is out of file descriptors (" + cause.getMessage() + "); not a disk"
                + " fault: raise the open-file limit (ulimit -n) or find what holds them", cause);
    }

    /** Whether {@code e} or one of its causes says the process is out of file descriptors. */
    static boolean describes(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("EMFILE")
                    || m.contains("ENFILE"))) {
                return true;
            }
        }
        return false;
    }

    /** {@code cause} itself, or this exception around it when it is descriptor exhaustion. */
    static Exception clarify(Exception cause) {
        if (cause instanceof OutOfDescriptorsException || !describes(cause)) {
            return cause;
        }
        return new OutOfDescriptorsException(cause);
    }
}
