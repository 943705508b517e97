package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * S27 (wall-clock jumps) against real {@code server} processes, each under libfaketime with a
 * wall clock of its own ({@link FakeClock}; the monotonic clock is left alone, as on a real
 * host). While a client writes, the leader's clock jumps 1 h ahead and a follower's 1 h back.
 * Then:
 * <ol>
 *   <li>no spurious election: for 15 s every node keeps its role, the leader and the epoch;
 *       </li>
 *   <li>writes keep committing in that window;</li>
 *   <li>timeouts still fire: once the leader is cut off (iptables), the other two, one of them
 *       1 h in the past, elect a new leader in a higher epoch within 30 s; a timeout taken
 *       from the wall clock would wait an hour on that follower;</li>
 *   <li>after the heal every node converges (same digest and applied zxid) and the last
 *       acknowledged write is read back linearizably.</li>
 * </ol>
 * Each node's HTTP Date header (the server stamps it from the wall clock) shows that the
 * jump really reached its JVM. A failure keeps logs and data under the printed directory.
 */
class ClockJumpIT {
    @org.junit.jupiter.api.BeforeAll
    static void needsRoot() {
        HostTools.assumeRoot("ClockJumpIT",
                "iptables and libfaketime (installed with apt-get when missing)");
    }

    private static final Pattern ROLE = Pattern.compile("\"role\":\"(\\w+)\"");
    private static final Pattern EPOCH = Pattern.compile("\"epoch\":(\\d+)");
    private static final Duration STABLE = Duration.ofSeconds(15);
    private static final Duration ELECTION = Duration.ofSeconds(30);

    @Test
    void wallClockJumpsCauseNoElectionAndTimeoutsStillFire() throws Exception {
        Path root = Files.createTempDirectory("zab-clock-");
        System.out.println("clock: 3 nodes under libfaketime in " + root);
        boolean passed = false;
        FakeClock clock = FakeClock.open(root);
        try (ProcessCluster c = new ProcessCluster(3, root); Writer w = new Writer(c)) {
            // 5 s of silence before a peer is given up: three servers under libfaketime share
            // two cores here, and only a clock that drives a timeout may cause an election in
            // the stable window, not a stall of the machine.
            c.syncLimitTicks(100);
            for (int id = 1; id <= 3; id++) {
                c.environment(id, clock.environment(id));
                c.start(id);
            }
            Integer leader = await("a first leader", Duration.ofSeconds(60), c::leader, c);
            w.start();
            await("writes committing", Duration.ofSeconds(30),
                    () -> w.acked.get() >= 20 ? 1 : null, c);
            int follower = leader == 1 ? 2 : 1;
            long epoch = epochOf(c, leader);
            clock.set(leader, "+1h");
            clock.set(follower, "-1h");
            awaitSkew(c, leader, 3600);
            awaitSkew(c, follower, -3600);
            System.out.println("clock: leader " + leader + " at +1 h, follower " + follower
                    + " at -1 h, epoch " + epoch);
            assertStable(c, leader, epoch, w);
            c.isolate(leader);
            int[] next = {0};
            await("a new leader after isolating node " + leader, ELECTION, () -> {
                for (int id = 1; id <= 3; id++) {
                    String s = id == leader ? null : c.status(id);
                    if ("LEADING".equals(ProcessCluster.field(ROLE, s))
                            && Long.parseLong(ProcessCluster.field(EPOCH, s)) > epoch) {
                        next[0] = id;
                        return id;
                    }
                }
                return null;
            }, c);
            c.healNetwork();
            w.stop();
            await("convergence", Duration.ofSeconds(60), () -> converged(c) ? 1 : null, c);
            checkLastWrite(c, w);
            System.out.printf("clock: passed; %d writes acknowledged (%d in the %d s after the"
                    + " jumps); node %d took over after the isolation%n", w.acked.get(),
                    w.inWindow, STABLE.toSeconds(), next[0]);
            passed = true;
        } finally {
            keep(root, passed);
        }
    }

    /** Polls every node for {@link #STABLE}: same roles, same leader, same epoch throughout. */
    private static void assertStable(ProcessCluster c, int leader, long epoch, Writer w)
            throws Exception {
        long before = w.acked.get();
        long end = System.nanoTime() + STABLE.toNanos();
        while (System.nanoTime() < end) {
            for (int id = 1; id <= 3; id++) {
                String s = c.status(id);
                if (s == null) {
                    continue; // slow to answer under load; an election would show in the epoch
                }
                String want = id == leader ? "LEADING" : "FOLLOWING";
                String role = ProcessCluster.field(ROLE, s);
                String e = ProcessCluster.field(EPOCH, s);
                if (!want.equals(role) || e == null || Long.parseLong(e) != epoch) {
                    fail("spurious election after the clock jumps: node " + id + " reports "
                            + s + " (expected " + want + " in epoch " + epoch + "); kept in "
                            + c.root + "\n" + c.tailLogs(30));
                }
            }
            Thread.sleep(200);
        }
        w.inWindow = w.acked.get() - before;
        if (w.inWindow < 5) {
            fail("only " + w.inWindow + " writes committed in the " + STABLE.toSeconds()
                    + " s after the clock jumps; kept in " + c.root + "\n" + c.tailLogs(30));
        }
    }

    /** Waits until node {@code id}'s HTTP Date header is {@code seconds} off (within 5 min). */
    private static void awaitSkew(ProcessCluster c, int id, long seconds) throws Exception {
        long[] seen = {0};
        await("node " + id + "'s wall clock at " + seconds + " s", Duration.ofSeconds(20), () -> {
            HttpResponse<String> r = c.call(id, "GET", "/status", null, Duration.ofSeconds(2));
            String date = r.headers().firstValue("Date").orElse(null);
            if (date == null) {
                throw new AssertionError("node " + id + " sends no Date header");
            }
            seen[0] = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toEpochSecond() - System.currentTimeMillis() / 1000;
            return Math.abs(seen[0] - seconds) < 300 ? 1 : null;
        }, c);
    }

    private static long epochOf(ProcessCluster c, int id) {
        String e = ProcessCluster.field(EPOCH, c.status(id));
        if (e == null) {
            fail("node " + id + " did not report its epoch; kept in " + c.root);
        }
        return Long.parseLong(e);
    }

    private static boolean converged(ProcessCluster c) {
        String digest = c.digest(1);
        String applied = c.applied(1);
        return digest != null && applied != null && digest.equals(c.digest(2))
                && digest.equals(c.digest(3)) && applied.equals(c.applied(2))
                && applied.equals(c.applied(3));
    }

    /**
     * A linearizable read returns the last acknowledged value, a later one, or one whose write
     * never completed (it may take effect at any time after it was sent).
     */
    private static void checkLastWrite(ProcessCluster c, Writer w) throws Exception {
        for (int id = 1; id <= 3; id++) {
            int node = id;
            // A read may be refused (503) while the rejoining old leader settles: retry.
            HttpResponse<?>[] last = {null};
            await("a linearizable read of w on node " + id, Duration.ofSeconds(30), () -> {
                HttpResponse<String> r = c.call(node, "GET", "/kv/w?linearizable=true", null,
                        Duration.ofSeconds(5));
                last[0] = r;
                return r.statusCode() == 200 || r.statusCode() == 404 ? 1 : null;
            }, c);
            HttpResponse<?> r = last[0];
            long got = r.statusCode() == 200 ? Long.parseLong(r.body().toString().strip()) : -1;
            if (got < w.lastAcked && !w.uncertain.contains(got)) {
                fail("node " + id + " reads w=" + r.body() + " (" + r.statusCode() + ") but "
                        + w.lastAcked + " was acknowledged; kept in " + c.root);
            }
        }
    }

    private interface Probe {
        Integer get() throws Exception;
    }

    private static Integer await(String what, Duration limit, Probe probe, ProcessCluster c)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Integer v = probe.get();
            if (v != null) {
                return v;
            }
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within " + limit.toSeconds() + " s; kept in " + c.root
                        + "\n" + c.tailLogs(30));
            }
            Thread.sleep(200);
        }
    }

    private static void keep(Path root, boolean passed) throws IOException {
        if (!passed || Boolean.getBoolean("chaos.keep")) {
            System.out.println("clock: logs and data directories kept in " + root);
            return;
        }
        Trees.delete(root);
    }

    /** One client writing w=1, 2, 3... to the nodes in turn, one request at a time. */
    private static final class Writer implements AutoCloseable {
        private final ProcessCluster c;
        private final Thread thread = new Thread(this::loop, "clock-writer");
        final AtomicLong acked = new AtomicLong();
        volatile long lastAcked = -1;
        volatile long inWindow;
        private volatile boolean stop;
        final Set<Long> uncertain = ConcurrentHashMap.newKeySet();

        Writer(ProcessCluster c) {
            this.c = c;
        }

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            for (long v = 1; !stop; v++) {
                int id = 1 + (int) (v % 3);
                try {
                    HttpResponse<String> r = c.call(id, "PUT", "/kv/w", Long.toString(v),
                            Duration.ofSeconds(3));
                    if (r.statusCode() == 200) {
                        lastAcked = v;
                        acked.incrementAndGet();
                    } else {
                        uncertain.add(v);
                    }
                } catch (IOException e) {
                    uncertain.add(v); // e.g. timed out at the isolated leader: try the next node
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
