package io.zab.examples;

import io.zab.examples.bench.BenchCommand;
import io.zab.examples.bench.BenchOptions;
import io.zab.examples.demo.DemoCluster;
import io.zab.examples.demo.ThreeNodeDemo;
import io.zab.examples.server.ServerCommand;
import io.zab.examples.server.ServerOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar zab-examples.jar <demo|server|bench> [options]}. A bad option exits with code
 * 2 and one line naming it.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            out.println("usage: java -jar zab-examples.jar <command> [options]");
            out.println("  demo     three replicas in one JVM and a narrated tour"
                    + " (--help for options)");
            out.println("  server   one node of a multi-process KV cluster (--help)");
            out.println("  bench    replicated writes/s and latency, optionally vs ZooKeeper"
                    + " (--help)");
            System.exit(args.length == 0 ? 2 : 0);
        }
        List<String> rest = List.of(args).subList(1, args.length);
        switch (args[0]) {
            case "demo" -> System.exit(demo(rest, out));
            case "server" -> System.exit(server(rest, out));
            case "bench" -> System.exit(bench(rest, out));
            default -> usageError("unknown command: " + args[0] + " (try --help)");
        }
    }

    static void usageError(String message) {
        System.err.println("error: " + message);
        System.exit(2);
    }

    private static int demo(List<String> args, PrintStream out) throws Exception {
        boolean exitAfterTour = false;
        int httpBase = 8081;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--exit-after-tour" -> exitAfterTour = true;
                case "--http-base" -> httpBase = intArg(args, ++i, "--http-base");
                case "--help" -> {
                    out.println("usage: demo [--exit-after-tour] [--http-base PORT]");
                    out.println("  --exit-after-tour  stop after the tour; exit 0 only if every"
                            + " check held");
                    out.println("  --http-base PORT   HTTP ports PORT..PORT+3 (default 8081)");
                    return 0;
                }
                default -> usageError("unknown demo option: " + args.get(i));
            }
        }
        DemoCluster cluster = new DemoCluster(Files.createTempDirectory("zab-demo-"), 7101);
        ThreeNodeDemo demo = new ThreeNodeDemo(cluster, httpBase, out);
        boolean ok = demo.tour();
        if (exitAfterTour) {
            demo.close();
            return ok ? 0 : 1;
        }
        demo.printUrls();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    private static int server(List<String> args, PrintStream out) throws Exception {
        if (args.contains("--help")) {
            out.println(ServerOptions.usage());
            return 0;
        }
        ServerOptions options;
        try {
            options = ServerOptions.parse(args);
            ServerCommand.zabConfig(options);
        } catch (IllegalArgumentException e) {
            usageError(e.getMessage());
            return 2;
        }
        try {
            return ServerCommand.run(options, out);
        } catch (Exception e) {
            // A corrupt or unreadable data directory (the message names the file and offset
            // and says how to recover), a port in use: one line, no stack trace.
            String where = "";
            if (e instanceof IOException && !(e instanceof BindException)
                    && !String.valueOf(e.getMessage()).contains(options.dataDir().toString())) {
                // e.g. "No space left on device" from the log writer names no file.
                where = " (data directory " + options.dataDir() + ")";
            }
            System.err.println("error: cannot start server " + options.id() + ": "
                    + e.getMessage() + where);
            return 1;
        }
    }

    private static int bench(List<String> args, PrintStream out) throws Exception {
        if (args.contains("--help")) {
            out.println(BenchOptions.usage());
            return 0;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            usageError(e.getMessage());
            return 2;
        }
        return BenchCommand.run(options, out);
    }

    static int intArg(List<String> args, int i, String name) {
        if (i >= args.size()) {
            usageError(name + " needs a value");
        }
        try {
            return Integer.parseInt(args.get(i));
        } catch (NumberFormatException e) {
            usageError(name + ": not a number: " + args.get(i));
            return 0;
        }
    }
}
