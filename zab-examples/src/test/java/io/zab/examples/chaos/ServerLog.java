package io.zab.examples.chaos;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;

/**
 * A server's output file as the membership tests watch it: what was appended after a mark (the
 * file grows across restarts, so a step is read from the size taken before it), the first line
 * that says something, and the time stamped on it. The servers stamp each log line with the
 * host's wall clock, {@code HH:mm:ss.SSS} first (logback's pattern in zab-examples), the clock
 * {@link LocalTime#now()} reads in the test: a kill and a log line compare to the millisecond.
 *
 * <p>Stateless; any thread.
 */
final class ServerLog {
    private ServerLog() {
    }

    /** The size of node {@code id}'s log now: the mark a later {@link #since} reads from. */
    static long mark(ProcessCluster c, int id) throws IOException {
        Path log = c.logFile(id);
        return Files.exists(log) ? Files.size(log) : 0;
    }

    /** What node {@code id} logged after {@code mark}. */
    static String since(ProcessCluster c, int id, long mark) throws IOException {
        Path log = c.logFile(id);
        if (!Files.exists(log)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long from = Math.min(mark, f.length());
            byte[] tail = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(tail);
            return new String(tail, StandardCharsets.UTF_8);
        }
    }

    /** The first line of {@code text} that holds every one of {@code parts}, or null. */
    static String line(String text, String... parts) {
        for (String l : text.split("\n")) {
            boolean all = true;
            for (String p : parts) {
                all &= l.contains(p);
            }
            if (all) {
                return l;
            }
        }
        return null;
    }

    /**
     * Waits, polling every 2 ms (a step of a change may last only milliseconds), for node
     * {@code id} to log a line holding every one of {@code parts} after {@code mark}; returns
     * it, or null after {@code limit}.
     */
    static String await(ProcessCluster c, int id, long mark, Duration limit, String... parts)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        long seen = -1;
        while (System.nanoTime() - deadline < 0) {
            long size = mark(c, id);
            if (size != seen) {
                seen = size;
                String l = line(since(c, id, mark), parts);
                if (l != null) {
                    return l;
                }
            }
            Thread.sleep(2);
        }
        return null;
    }

    /** The time a log line was stamped with, or null for a line without one (stdout). */
    static LocalTime stamp(String line) {
        if (line == null || line.length() < 12) {
            return null;
        }
        try {
            return LocalTime.parse(line.substring(0, 12));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Where a stamped line falls against {@code t}: "12 ms before" or "3 ms after" (within a
     * day: a run crossing midnight is read as the shorter way round).
     */
    static String relative(String line, LocalTime t) {
        LocalTime at = stamp(line);
        if (at == null) {
            return "at an unknown time";
        }
        long ms = Duration.between(t, at).toMillis();
        long day = Duration.ofDays(1).toMillis();
        if (ms > day / 2) {
            ms -= day;
        } else if (ms < -day / 2) {
            ms += day;
        }
        return ms < 0 ? -ms + " ms before" : ms + " ms after";
    }
}
