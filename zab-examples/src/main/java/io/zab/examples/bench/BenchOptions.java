package io.zab.examples.bench;

import java.nio.file.Path;
import java.util.List;

/** The bench's knobs; every bad value is an IllegalArgumentException naming the option. */
public record BenchOptions(int nodes, int clients, int window, int payload, int durationS,
        int warmupS, boolean fsync, boolean viaFollowers, Path json, String compare, int failover,
        boolean overload, double overloadFactor, boolean diskBound, int transfer) {

    public static String usage() {
        return String.join("\n",
                "usage: bench [options]",
                "  --nodes N          replicas in this JVM (default 3)",
                "  --clients C        submitting threads (default 4)",
                "  --window W         most txns outstanding in total (default 1000)",
                "  --payload P        bytes per txn (default 1024)",
                "  --duration D       measured seconds (default 30)",
                "  --warmup S         unmeasured seconds first (default 10)",
                "  --no-fsync         do not force the log (for comparison only)",
                "  --via-followers    submit through followers (forwarded to the leader)",
                "  --json FILE        also write the result as one JSON object",
                "  --compare zookeeper  also run a 3-server Apache ZooKeeper ensemble",
                "  --no-disk-bound    skip the disk bound: after zab's run, N logs on the same"
                        + " disk, each",
                "                     appended and forced in batches of W by a thread of its"
                        + " own for D s;",
                "                     zab's ops/s is reported as a fraction of their records/s"
                        + " per log",
                "  --failover N       instead: kill the leader of 3 nodes N times and time"
                        + " each failover to a committed write",
                "  --transfer N       instead: under writes, hand the leadership of 3 nodes to"
                        + " another voter N times",
                "                     and time each from the call to a write committed by the"
                        + " target",
                "  --overload         after the normal run, offer F x its ops/s from C threads"
                        + " to all nodes",
                "                     (refused at once when full): report committed, refused,"
                        + " latency",
                "  --overload-factor F  the F of --overload (default 10, a number > 0)");
    }

    public static BenchOptions parse(List<String> args) {
        int nodes = 3;
        int clients = 4;
        int window = 1000;
        int payload = 1024;
        int duration = 30;
        int warmup = 10;
        boolean fsync = true;
        boolean via = false;
        Path json = null;
        String compare = null;
        int failover = 0;
        int transfer = 0;
        boolean overload = false;
        String factorGiven = null;
        boolean diskBound = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--no-fsync" -> fsync = false;
                case "--via-followers" -> via = true;
                case "--overload" -> overload = true;
                case "--no-disk-bound" -> diskBound = false;
                case "--overload-factor" -> factorGiven = value(args, ++i, a);
                case "--nodes" -> nodes = num(args, ++i, a, 1);
                case "--clients" -> clients = num(args, ++i, a, 1);
                case "--window" -> window = num(args, ++i, a, 1);
                case "--payload" -> payload = num(args, ++i, a, 0);
                case "--duration" -> duration = num(args, ++i, a, 1);
                case "--warmup" -> warmup = num(args, ++i, a, 0);
                case "--failover" -> failover = num(args, ++i, a, 1);
                case "--transfer" -> transfer = num(args, ++i, a, 1);
                case "--json" -> json = Path.of(value(args, ++i, a));
                case "--compare" -> {
                    compare = value(args, ++i, a);
                    if (!compare.equals("zookeeper")) {
                        throw new IllegalArgumentException("--compare: only zookeeper is known");
                    }
                }
                default -> throw new IllegalArgumentException(a + ": unknown option");
            }
        }
        if (nodes % 2 == 0) {
            throw new IllegalArgumentException("--nodes: use an odd number, was " + nodes);
        }
        if (via && nodes == 1) {
            throw new IllegalArgumentException("--via-followers: needs more than one node");
        }
        double factor = 10;
        if (factorGiven != null) {
            if (!overload) {
                throw new IllegalArgumentException("--overload-factor: needs --overload");
            }
            factor = positive(factorGiven, "--overload-factor");
        }
        if (overload && compare != null) {
            throw new IllegalArgumentException("--overload: cannot be combined with --compare");
        }
        if (overload && failover > 0) {
            throw new IllegalArgumentException("--overload: cannot be combined with --failover");
        }
        if (transfer > 0 && (failover > 0 || overload)) {
            throw new IllegalArgumentException("--transfer: cannot be combined with --failover"
                    + " or --overload");
        }
        return new BenchOptions(nodes, clients, window, payload, duration, warmup, fsync, via,
                json, compare, failover, overload, factor, diskBound, transfer);
    }

    private static String value(List<String> args, int i, String name) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(name + ": needs a value");
        }
        return args.get(i);
    }

    private static double positive(String v, String name) {
        try {
            double d = Double.parseDouble(v);
            // Also refuses NaN and infinity: the generator turns it into a rate.
            if (d > 0 && d < Double.POSITIVE_INFINITY) {
                return d;
            }
        } catch (NumberFormatException e) {
            // Reported below with the value as given.
        }
        throw new IllegalArgumentException(name + ": expected a number > 0, got " + v);
    }

    private static int num(List<String> args, int i, String name, int min) {
        String v = value(args, i, name);
        try {
            int n = Integer.parseInt(v);
            if (n < min) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": expected an integer >= " + min
                    + ", got " + v);
        }
    }
}
