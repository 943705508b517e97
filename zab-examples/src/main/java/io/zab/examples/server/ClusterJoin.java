package io.zab.examples.server;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.ZabConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code --join}: a new server reads the members from a running member's {@code GET /members},
 * starts as a node that is not a member yet, then asks that member to add it
 * ({@code PUT /members/ID}) until the change commits. Runs on the server's main thread before
 * it settles to wait for SIGTERM; every wait is bounded and every failure names
 * {@code --join} or {@code --listen}.
 */
final class ClusterJoin {
    /** Attempts at reading /members: a member restarting at that moment gets a few seconds. */
    private static final int READ_ATTEMPTS = 5;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long the node may take to be added: each PUT gives it the member's catch-up wait
     * (half that member's --timeout-ms), and a node far behind keeps what it received between
     * attempts, so a few attempts catch up a large state.
     */
    static final Duration ADD_LIMIT = Duration.ofSeconds(120);
    /** Longer than any member's own timeout: the member answers first (503 or 504). */
    private static final Duration ADD_TIMEOUT = Duration.ofSeconds(60);

    private final ServerOptions options;
    private final ServerOptions.Join join;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** Between two attempts at reading /members, and between two PUTs. */
    private final Duration pause;
    /** How long the node may take to learn the change the member committed. */
    private final Duration learnWait;

    ClusterJoin(ServerOptions options, PrintStream out) {
        this(options, out, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    ClusterJoin(ServerOptions options, PrintStream out, Duration pause, Duration learnWait) {
        this.options = options;
        this.join = options.join();
        this.out = out;
        this.pause = pause;
        this.learnWait = learnWait;
    }

    /** How the membership endpoints and the transport spell an address. */
    static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private URI uri(String path) {
        return URI.create("http://" + hostPort(join.member()) + path);
    }

    /**
     * The options with the running cluster's members. A node the cluster does not list joins
     * (JOIN) in the role asked, at {@code --listen}; a node it lists already (restarted, or
     * its data directory lost) starts as an existing member in the role it has, so it votes
     * only once synced and asks nothing.
     *
     * @throws IllegalArgumentException naming {@code --join} when the members cannot be read,
     *     or {@code --listen} when the cluster lists this node at another address
     */
    ServerOptions withMembers() throws InterruptedException {
        MembersJson.Members m = readMembers();
        Map<Integer, InetSocketAddress> voters = addresses(m.voters());
        Map<Integer, InetSocketAddress> observers = addresses(m.observers());
        int self = options.id();
        String listed = m.voters().containsKey(self) ? m.voters().get(self)
                : m.observers().get(self);
        if (listed != null) {
            if (!listed.equals(hostPort(join.listen()))) {
                throw new IllegalArgumentException("--listen: the cluster lists member " + self
                        + " at " + listed + ", not " + hostPort(join.listen()) + "; listen"
                        + " there, or remove the member first (DELETE /members/" + self + ")");
            }
            return options.withMembers(voters, observers,
                    ZabConfig.InitialClusterState.EXISTING);
        }
        (join.asObserver() ? observers : voters).put(self, join.listen());
        return options.withMembers(voters, observers, ZabConfig.InitialClusterState.JOIN);
    }

    private static Map<Integer, InetSocketAddress> addresses(Map<Integer, String> members) {
        Map<Integer, InetSocketAddress> out = new TreeMap<>();
        members.forEach((id, a) -> out.put(id, ServerOptions.address(a, "join")));
        return out;
    }

    private MembersJson.Members readMembers() throws InterruptedException {
        URI uri = uri("/members");
        String last = "";
        for (int attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                        .timeout(READ_TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    try {
                        return MembersJson.parse(r.body());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--join: " + uri + " is not a"
                                + " member's /members (" + e.getMessage() + ")");
                    }
                }
                last = "answered " + r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            if (attempt < READ_ATTEMPTS) {
                Thread.sleep(pause.toMillis());
            }
        }
        throw new IllegalArgumentException("--join: cannot read the members from " + uri
                + " after " + READ_ATTEMPTS + " attempts: " + last);
    }

    /**
     * Asks the member to add this node until the change commits, unless the node is a member
     * already (its data directory holds a membership that lists it, or the cluster listed it):
     * a node restarted with the same options never asks twice. Retries the answers that mean
     * "not now" (503: not caught up yet, no leader; 409: another change runs; 504: unknown, and
     * the same PUT again is harmless) for up to {@link #ADD_LIMIT}.
     *
     * @param self this node's id
     * @param membership the node's membership now ({@code ZabNode::membership}); a joining
     *     node's starting one leaves it out
     * @param stopping true once the server is shutting down: stop asking
     * @throws IllegalStateException naming {@code --join} when the member refuses for good
     *     (4xx) or the limit passes
     */
    void awaitAdded(PeerId self, Supplier<Membership> membership, BooleanSupplier stopping)
            throws InterruptedException {
        Membership now = membership.get();
        if (now.contains(self)) {
            out.println("server " + self + ": a member already (" + role(now, self)
                    + ", membership " + now.version() + "); not asking to be added");
            return;
        }
        URI uri = uri("/members/" + self);
        String body = join.role() + "=" + hostPort(join.listen());
        long deadline = System.nanoTime() + ADD_LIMIT.toNanos();
        String last = "";
        while (!stopping.getAsBoolean()) {
            String answer;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                        .timeout(ADD_TIMEOUT).PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    added(self, membership, r.body());
                    return;
                }
                answer = r.statusCode() + " " + r.body();
                if (r.statusCode() != 503 && r.statusCode() != 409 && r.statusCode() != 504) {
                    throw new IllegalStateException("--join: PUT " + uri + " " + body
                            + " answered " + answer);
                }
            } catch (IOException e) {
                answer = e.toString();
            }
            if (!answer.equals(last)) {
                out.println("server " + self + ": not added yet (" + answer + "); asking again");
                last = answer;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("--join: not added within "
                        + ADD_LIMIT.toSeconds() + " s; " + uri + " last answered " + last);
            }
            Thread.sleep(pause.toMillis());
        }
    }

    /** The change committed; this node learns it a moment later, as the leader's commit. */
    private void added(PeerId self, Supplier<Membership> membership, String committed)
            throws InterruptedException {
        long deadline = System.nanoTime() + learnWait.toNanos();
        while (!membership.get().contains(self) && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
        Membership m = membership.get();
        out.println("server " + self + ": added as " + join.role() + "; " + (m.contains(self)
                ? "membership " + m.version() + ", voters " + m.voters().keySet()
                + (m.observers().isEmpty() ? "" : ", observers " + m.observers().keySet())
                : "the cluster committed " + committed + " but this node has not learned it"
                + " within " + learnWait.toMillis() + " ms"));
    }

    private static String role(Membership m, PeerId id) {
        return m.isVoter(id) ? "voter" : "observer";
    }
}
