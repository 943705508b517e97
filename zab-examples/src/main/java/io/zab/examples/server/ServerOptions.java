package io.zab.examples.server;

import io.zab.ZabConfig;
import io.zab.examples.kv.HttpLimits;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The settings of one {@code server} process, from command-line options or a properties file
 * with the same keys (without the leading dashes). Every bad value is an
 * {@link IllegalArgumentException} whose message starts with the option's name.
 *
 * <p>With {@code --join}, {@code peers} and {@code observers} are empty until
 * {@link #withMembers} fills them from a running member's {@code GET /members}.
 */
public record ServerOptions(int id, Map<Integer, InetSocketAddress> peers,
        Map<Integer, InetSocketAddress> observers, Path dataDir, InetSocketAddress http,
        String clusterId, int tickMs, int initLimit, int syncLimit, int maxTxnBytes,
        long timeoutMs, ZabConfig.InitialClusterState initialClusterState,
        int historyMaxBytes, long snapshotSendRate, int httpMaxHeaderBytes,
        int httpMaxConnections, int httpIdleMs, int httpMaxInflightBytes,
        Path peerSecretFile, ZabConfig.Tls tls, Join join) {

    /**
     * How a new server joins a running cluster.
     *
     * @param member the HTTP address of any current member ({@code --join})
     * @param listen this node's quorum address ({@code --listen})
     * @param asObserver whether it joins as an observer rather than a voter ({@code --join-as})
     */
    public record Join(InetSocketAddress member, InetSocketAddress listen, boolean asObserver) {
        /** The role as the membership endpoints spell it. */
        public String role() {
            return asObserver ? "observer" : "voter";
        }
    }

    static final List<String> KEYS = List.of("id", "peers", "observers", "data-dir", "http",
            "config", "cluster-id", "tick-ms", "init-limit", "sync-limit", "max-txn-bytes",
            "timeout-ms", "initial-cluster-state", "history-max-bytes",
            "snapshot-send-rate", "http-max-header-bytes", "http-max-connections",
            "http-idle-ms", "http-max-inflight-bytes", "peer-secret-file", "tls-key",
            "tls-cert-chain", "tls-ca", "join", "listen", "join-as");

    /** Each connection may hold a request in the node's pending budget (1,000,000 at most). */
    static final int MAX_HTTP_CONNECTIONS = 100_000;

    public static String usage() {
        return String.join("\n",
                "usage: server --id N --peers 1=HOST:PORT,2=HOST:PORT,3=HOST:PORT"
                        + " --data-dir DIR --http HOST:PORT [options]",
                "   or: server --id N --join HOST:PORT --listen HOST:PORT"
                        + " --data-dir DIR --http HOST:PORT [options]",
                "  --id N                 this node's id (one of --peers or --observers)",
                "  --peers LIST           voters: id=host:port,... (quorum and election port)",
                "  --observers LIST       observers: id=host:port,... (default none)",
                "  --data-dir DIR         log, snapshots and epoch files of this node",
                "  --http HOST:PORT       where the KV HTTP API listens",
                "  --config FILE          a properties file with the same keys (no dashes);"
                        + " options given on the command line win",
                "  --cluster-id NAME      must match on every node (default zab)",
                "  --tick-ms N            tick length in ms (default 100)",
                "  --init-limit N         ticks per discovery/sync step (default 10)",
                "  --sync-limit N         ticks of silence before giving up a peer (default 10)",
                "  --max-txn-bytes N      largest txn (default 1048576)",
                "  --timeout-ms N         HTTP write/sync timeout before 504 (default 10000)",
                "  --http-max-header-bytes N  largest HTTP request line and header block;"
                        + " beyond them 414/431 (default 8192)",
                "  --http-max-connections N   open HTTP connections; one more is closed at"
                        + " once (default 1024)",
                "  --http-idle-ms N       an HTTP connection idle this long is closed"
                        + " (default 60000)",
                "  --http-max-inflight-bytes N  request bytes held: bodies read and writes"
                        + " waiting on the cluster; beyond them 503 (default 16777216)",
                "  --history-max-bytes N  txn bytes a leader keeps in memory for DIFF; a"
                        + " learner further behind gets SNAP (default 268435456)",
                "  --snapshot-send-rate N snapshot bytes per second a leader sends one"
                        + " catching-up node (default 0: no limit)",
                "  --peer-secret-file FILE  the cluster secret (at least 16 bytes, the same on"
                        + " every node):",
                "                         members prove they hold it when they connect; without"
                        + " it or TLS",
                "                         a member is known by its address only",
                "  --tls-key FILE --tls-cert-chain FILE --tls-ca FILE",
                "                         mutual TLS between members (PEM: PKCS#8 key, chain"
                        + " whose CN is",
                "                         zab-<id>, trusted CAs); the three go together",
                "  --initial-cluster-state new|existing",
                "                         new (default): this node founds the cluster with the"
                        + " others;",
                "                         existing: it joins a cluster that already ran. Use"
                        + " existing",
                "                         when a node's data directory was lost or replaced:"
                        + " it then",
                "                         votes only after a leader has synced it, so it cannot"
                        + " help",
                "                         elect a node that misses writes it had acknowledged",
                "  --join HOST:PORT       add this new node to a running cluster: the HTTP"
                        + " address of any",
                "                         current member. The members come from its"
                        + " /members (no --peers);",
                "                         once caught up, the node is added by PUT"
                        + " /members/ID there.",
                "                         Restarted with the same options, a member is not"
                        + " added again",
                "  --listen HOST:PORT     this node's quorum address (required with --join)",
                "  --join-as voter|observer  the role to join in (default voter)");
    }

    /** Parses {@code --key value} pairs; a {@code --config} file fills what is missing. */
    public static ServerOptions parse(List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || !KEYS.contains(a.substring(2))) {
                throw new IllegalArgumentException(a + ": unknown option (see --help)");
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(a + ": needs a value");
            }
            values.put(a.substring(2), args.get(++i));
        }
        if (values.containsKey("config")) {
            readConfig(Path.of(values.get("config"))).forEach(values::putIfAbsent);
        }
        return fromMap(values);
    }

    private static Map<String, String> readConfig(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--config: cannot read " + file + ": "
                    + e.getMessage());
        }
        Map<String, String> out = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (!KEYS.contains(k) || k.equals("config")) {
                throw new IllegalArgumentException("--config: " + file + ": unknown key " + k);
            }
            out.put(k, p.getProperty(k).trim());
        }
        return out;
    }

    static ServerOptions fromMap(Map<String, String> v) {
        Join join = join(v);
        for (String required : List.of("id", "peers", "data-dir", "http")) {
            if (!v.containsKey(required) && !(join != null && required.equals("peers"))) {
                throw new IllegalArgumentException("--" + required + ": required");
            }
        }
        return new ServerOptions(positive(v, "id", null),
                join != null ? Map.of() : members(v.get("peers"), "peers"),
                v.containsKey("observers") ? members(v.get("observers"), "observers") : Map.of(),
                Path.of(v.get("data-dir")), address(v.get("http"), "http"),
                v.getOrDefault("cluster-id", "zab"), positive(v, "tick-ms", 100),
                positive(v, "init-limit", 10), positive(v, "sync-limit", 10),
                positive(v, "max-txn-bytes", 1 << 20), positive(v, "timeout-ms", 10_000),
                join != null ? ZabConfig.InitialClusterState.JOIN
                        : clusterState(v.getOrDefault("initial-cluster-state", "new")),
                positive(v, "history-max-bytes", 256 << 20),
                notNegative(v, "snapshot-send-rate"),
                positive(v, "http-max-header-bytes", HttpLimits.DEFAULT_MAX_HEADER_BYTES),
                atMost(positive(v, "http-max-connections", HttpLimits.DEFAULT_MAX_CONNECTIONS),
                        MAX_HTTP_CONNECTIONS, "http-max-connections"),
                positive(v, "http-idle-ms", (int) HttpLimits.DEFAULT_IDLE_TIMEOUT_MS),
                positive(v, "http-max-inflight-bytes",
                        (int) HttpLimits.DEFAULT_MAX_IN_FLIGHT_BYTES),
                v.containsKey("peer-secret-file") ? Path.of(v.get("peer-secret-file")) : null,
                tls(v), join);
    }

    /**
     * --join and its companions, or null without --join. A joining node learns the members
     * from the cluster itself, so the options that would name them, or say how it starts,
     * would only contradict what it finds there.
     */
    private static Join join(Map<String, String> v) {
        if (!v.containsKey("join")) {
            for (String only : List.of("listen", "join-as")) {
                if (v.containsKey(only)) {
                    throw new IllegalArgumentException("--" + only + ": only with --join");
                }
            }
            return null;
        }
        for (String not : List.of("peers", "observers", "initial-cluster-state")) {
            if (v.containsKey(not)) {
                throw new IllegalArgumentException("--" + not + ": not with --join (the members"
                        + " and how this node starts come from the cluster it joins)");
            }
        }
        if (!v.containsKey("listen")) {
            throw new IllegalArgumentException("--listen: required with --join (this node's"
                    + " quorum address)");
        }
        String role = v.getOrDefault("join-as", "voter").trim();
        if (!role.equals("voter") && !role.equals("observer")) {
            throw new IllegalArgumentException("--join-as: must be voter or observer, was '"
                    + role + "'");
        }
        return new Join(dialable(v.get("join"), "join"), dialable(v.get("listen"), "listen"),
                role.equals("observer"));
    }

    /** An address others connect to: port 0 (any free port) would tell them nothing. */
    private static InetSocketAddress dialable(String s, String key) {
        InetSocketAddress a = address(s, key);
        if (a.getPort() == 0) {
            throw new IllegalArgumentException("--" + key + ": port 0 cannot be dialed: " + s);
        }
        return a;
    }

    /**
     * These options with the members a running cluster lists, and how the node starts: for a
     * node joining with {@code --join}, once it has read them from a member.
     *
     * @param voters the voters, this node included if it is to be one
     * @param observers the observers, this node included if it is to be one
     * @param state JOIN for a node new to the cluster, EXISTING for one it lists already
     * @return the options
     */
    public ServerOptions withMembers(Map<Integer, InetSocketAddress> voters,
            Map<Integer, InetSocketAddress> observers, ZabConfig.InitialClusterState state) {
        return new ServerOptions(id, Collections.unmodifiableMap(new TreeMap<>(voters)),
                Collections.unmodifiableMap(new TreeMap<>(observers)), dataDir, http,
                clusterId, tickMs, initLimit, syncLimit, maxTxnBytes, timeoutMs, state,
                historyMaxBytes, snapshotSendRate, httpMaxHeaderBytes, httpMaxConnections,
                httpIdleMs, httpMaxInflightBytes, peerSecretFile, tls, join);
    }

    private static ZabConfig.Tls tls(Map<String, String> v) {
        List<String> keys = List.of("tls-key", "tls-cert-chain", "tls-ca");
        long given = keys.stream().filter(v::containsKey).count();
        if (given == 0) {
            return null;
        }
        if (given < keys.size()) {
            String missing = keys.stream().filter(k -> !v.containsKey(k)).findFirst().get();
            throw new IllegalArgumentException("--" + missing + ": required with --tls-key,"
                    + " --tls-cert-chain and --tls-ca (the three go together)");
        }
        return new ZabConfig.Tls(Path.of(v.get("tls-key")), Path.of(v.get("tls-cert-chain")),
                Path.of(v.get("tls-ca")));
    }

    /** The HTTP server's limits: a value may be as large as a txn. */
    public HttpLimits httpLimits() {
        return new HttpLimits(maxTxnBytes, httpMaxHeaderBytes, httpMaxConnections, httpIdleMs,
                httpMaxInflightBytes);
    }

    private static int atMost(int n, int max, String key) {
        if (n > max) {
            throw new IllegalArgumentException("--" + key + ": at most " + max + ", was " + n);
        }
        return n;
    }

    private static long notNegative(Map<String, String> v, String key) {
        String s = v.getOrDefault(key, "0");
        try {
            long n = Long.parseLong(s.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not 0 or a positive integer: "
                    + s);
        }
    }

    private static ZabConfig.InitialClusterState clusterState(String s) {
        return switch (s.trim()) {
            case "new" -> ZabConfig.InitialClusterState.NEW;
            case "existing" -> ZabConfig.InitialClusterState.EXISTING;
            default -> throw new IllegalArgumentException("--initial-cluster-state: must be new"
                    + " or existing, was '" + s + "'");
        };
    }

    private static int positive(Map<String, String> v, String key, Integer def) {
        String s = v.get(key);
        if (s == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(s.trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not a positive integer: " + s);
        }
    }

    static Map<Integer, InetSocketAddress> members(String list, String key) {
        Map<Integer, InetSocketAddress> out = new TreeMap<>();
        for (String item : list.split(",")) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--" + key + ": expected id=host:port, got "
                        + item);
            }
            int id;
            try {
                id = Integer.parseInt(item.substring(0, eq).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + key + ": bad id in " + item);
            }
            if (id <= 0 || out.put(id, address(item.substring(eq + 1).trim(), key)) != null) {
                throw new IllegalArgumentException("--" + key + ": bad or repeated id " + id);
            }
        }
        return out;
    }

    static InetSocketAddress address(String s, String key) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--" + key + ": expected host:port, got " + s);
        }
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(s.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": bad port in " + s);
        }
    }
}
