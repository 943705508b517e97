package io.zab.examples.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code bench}: measures replicated writes per second and latency (and ZooKeeper's). */
public final class BenchCommand {
    private BenchCommand() {
    }

    public static int run(BenchOptions o, PrintStream out) throws Exception {
        if (o.failover() > 0) {
            Path dir = Files.createTempDirectory("zab-failover-");
            new FailoverBench(dir).run(o.failover(), out);
            deleteQuietly(dir);
            return 0;
        }
        if (o.transfer() > 0) {
            Path dir = Files.createTempDirectory("zab-transfer-");
            new FailoverBench(dir).runTransfers(o.transfer(), out);
            deleteQuietly(dir);
            return 0;
        }
        if (o.overload()) {
            return overload(o, out);
        }
        out.printf("bench: %d nodes, %d clients, window %d, payload %d B, fsync %s, %d s after"
                + " %d s warm-up%s%n", o.nodes(), o.clients(), o.window(), o.payload(),
                o.fsync() ? "on" : "off", o.durationS(), o.warmupS(),
                o.viaFollowers() ? ", through followers" : "");
        List<BenchDriver.Result> results = new ArrayList<>();
        Path root = benchRoot();
        try (ZabTarget zab = new ZabTarget(o, root.resolve("zab"))) {
            results.add(new BenchDriver(o, out).run(zab));
        }
        DiskBound.Result bound = null;
        if (o.diskBound()) {
            // After zab's nodes closed, in the same parent directory as their data.
            out.printf("disk bound: %d logs under %s, %d s%n", o.nodes(), root.resolve("disk"),
                    o.durationS());
            bound = DiskBound.measure(o, root.resolve("disk"));
        }
        if ("zookeeper".equals(o.compare())) {
            try (BenchTarget zk = ZooKeeperTarget.start(o, root.resolve("zookeeper"), out)) {
                results.add(new BenchDriver(o, out).run(zk));
            }
        }
        printTable(out, results);
        if (bound != null) {
            out.println(bound.summary(results.get(0).opsPerSec()));
            out.println(bound.details());
        }
        if (results.size() == 2) {
            out.printf(Locale.ROOT, "zab/ZooKeeper: %.2fx ops/s, p99 %.2fx%n",
                    results.get(0).opsPerSec() / results.get(1).opsPerSec(),
                    results.get(0).p99() / results.get(1).p99());
        }
        if (o.json() != null) {
            String j = json(o, results.get(0));
            if (results.size() == 2) {
                j = j.substring(0, j.lastIndexOf('}')) + ",\"zookeeper\":"
                        + json(o, results.get(1)).trim() + "}\n";
            }
            if (bound != null) {
                j = j.substring(0, j.lastIndexOf('}')) + String.format(Locale.ROOT,
                        ",\"disk_bound_records_per_sec\":%.1f,\"zab_of_disk_bound\":%.4f}%n",
                        bound.recordsPerSec(), results.get(0).opsPerSec()
                        / bound.recordsPerSec());
            }
            Files.writeString(o.json(), j);
        }
        deleteQuietly(root);
        return 0;
    }

    private static Path benchRoot() throws java.io.IOException {
        return Files.createTempDirectory(Path.of("target").toFile().isDirectory()
                ? Path.of("target") : Path.of(System.getProperty("java.io.tmpdir")),
                "zab-bench-");
    }

    /**
     * {@code --overload}: the normal run gives the peak, then {@link OverloadBench} offers F x
     * that to the same cluster (same leader, warm caches) and ends with the replica check.
     */
    private static int overload(BenchOptions o, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "bench --overload: %d nodes, %d clients, window %d, payload %d B,"
                + " fsync %s, %d s after %d s warm-up, then %.1fx that peak%s%n", o.nodes(),
                o.clients(), o.window(), o.payload(), o.fsync() ? "on" : "off", o.durationS(),
                o.warmupS(), o.overloadFactor(),
                o.viaFollowers() ? " (peak run through followers)" : "");
        Path root = benchRoot();
        BenchDriver.Result peak;
        OverloadBench.Result r;
        try (ZabTarget zab = new ZabTarget(o, root.resolve("zab"))) {
            peak = new BenchDriver(o, out).run(zab);
            printTable(out, List.of(peak));
            if (peak.opsPerSec() <= 0) {
                throw new IllegalStateException("the peak run committed nothing to overload");
            }
            r = new OverloadBench(o, out).run(zab, peak.opsPerSec());
            out.println(OverloadBench.summary(r, zab.size()));
        }
        r.roleEvents().forEach(e -> out.println("  role change " + e));
        out.printf("  GC %d ms while measured; check: %s%n", r.gcMs(), r.check());
        if (o.json() != null) {
            Files.writeString(o.json(), OverloadBench.json(o, r, json(o, peak)));
        }
        deleteQuietly(root);
        return 0;
    }

    private static void printTable(PrintStream out, List<BenchDriver.Result> results) {
        out.printf(Locale.ROOT, "%-10s %12s %9s %9s %9s %9s %9s %7s %7s%n", "target", "ops/s",
                "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "GC ms");
        for (BenchDriver.Result r : results) {
            out.printf(Locale.ROOT, "%-10s %,12.0f %9.2f %9.3f %9.3f %9.3f %9.3f %7d %7d%n",
                    r.target(), r.opsPerSec(), r.mbPerSec(), r.p50(), r.p99(), r.p999(),
                    r.max(), r.errors(), r.gcMs());
            out.println("  check: " + r.check());
        }
    }

    static String json(BenchOptions o, BenchDriver.Result r) {
        return String.format(Locale.ROOT, "{\"ops_per_sec\":%.1f,\"mb_per_sec\":%.3f,"
                + "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
                + "\"nodes\":%d,\"clients\":%d,\"window\":%d,\"payload\":%d,\"fsync\":%b,"
                + "\"duration_s\":%d}%n", r.opsPerSec(), r.mbPerSec(), r.p50(), r.p99(),
                r.p999(), r.max(), o.nodes(), o.clients(), o.window(), o.payload(), o.fsync(),
                o.durationS());
    }

    private static void deleteQuietly(Path root) {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // Leftovers in a temp directory are harmless.
        }
    }
}
