package io.zab.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zab.Membership;
import io.zab.PeerId;
import io.zab.ZabConfig;
import io.zab.Zxid;
import io.zab.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --join against a stand-in member (the JDK's HTTP server) and a stand-in node (its
 * membership): the members listed make the config; each answer to the PUT is retried or final
 * as documented; a node that is a member already never asks.
 */
class ClusterJoinTest {
    private static final String THREE = "{\"version\":\"0x100000002\",\"voters\":{"
            + "\"1\":\"127.0.0.1:7001\",\"2\":\"127.0.0.1:7002\",\"3\":\"127.0.0.1:7003\"},"
            + "\"observers\":{},\"leader\":1,\"change\":null}";

    @TempDir
    Path dir;
    private HttpServer member;
    private final Deque<Object[]> answers = new ArrayDeque<>();
    private final List<String> puts = Collections.synchronizedList(new ArrayList<>());
    private volatile String members = THREE;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    /** A member on the loopback address; its /members answers {@link #members}. */
    private InetSocketAddress startMember() throws IOException {
        member = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        member.createContext("/members", this::serve);
        member.start();
        return member.getAddress();
    }

    private void serve(HttpExchange x) throws IOException {
        String body;
        int status;
        if (x.getRequestMethod().equals("GET")) {
            status = 200;
            body = members;
        } else {
            puts.add(x.getRequestMethod() + " " + x.getRequestURI() + " "
                    + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            Object[] a;
            synchronized (answers) {
                a = answers.isEmpty() ? new Object[] {200, THREE} : answers.poll();
            }
            status = (Integer) a[0];
            body = (String) a[1];
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    @AfterEach
    void stop() {
        if (member != null) {
            member.stop(0);
        }
    }

    private ClusterJoin join(InetSocketAddress at, String... more) {
        List<String> args = new ArrayList<>(List.of("--id", "4", "--join",
                "127.0.0.1:" + at.getPort(), "--listen", "127.0.0.1:7004", "--data-dir",
                dir.resolve("d").toString(), "--http", "127.0.0.1:0"));
        args.addAll(List.of(more));
        // Short pauses; and the stand-in commits nothing, so no long wait to learn a change.
        return new ClusterJoin(ServerOptions.parse(args), new PrintStream(printed, true),
                java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(200));
    }

    @Test
    void aNewNodeJoinsWithTheClustersMembersAndItself() throws Exception {
        InetSocketAddress at = startMember();
        ServerOptions o = join(at).withMembers();
        assertEquals(ZabConfig.InitialClusterState.JOIN, o.initialClusterState());
        assertEquals(Map.of(1, new InetSocketAddress("127.0.0.1", 7001),
                2, new InetSocketAddress("127.0.0.1", 7002),
                3, new InetSocketAddress("127.0.0.1", 7003),
                4, new InetSocketAddress("127.0.0.1", 7004)), o.peers());
        ZabConfig c = ServerCommand.zabConfig(o);
        assertEquals(4, c.voters().size());
        o = join(at, "--join-as", "observer").withMembers();
        assertEquals(3, o.peers().size());
        assertEquals(Map.of(4, new InetSocketAddress("127.0.0.1", 7004)), o.observers());
    }

    @Test
    void aNodeTheClusterListsStartsAsAnExistingMemberOrNamesListen() throws Exception {
        InetSocketAddress at = startMember();
        members = THREE.replace("\"observers\":{}", "\"observers\":{\"4\":\"127.0.0.1:7004\"}");
        ServerOptions o = join(at).withMembers();
        assertEquals(ZabConfig.InitialClusterState.EXISTING, o.initialClusterState());
        assertEquals(3, o.peers().size(), "it keeps the role the cluster gave it");
        assertEquals(1, o.observers().size());
        members = THREE.replace("\"observers\":{}", "\"observers\":{\"4\":\"127.0.0.9:7004\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> join(at).withMembers());
        assertTrue(e.getMessage().startsWith("--listen: the cluster lists member 4 at"
                + " 127.0.0.9:7004, not 127.0.0.1:7004"), e.getMessage());
    }

    @Test
    void membersThatCannotBeReadNameJoin() throws Exception {
        InetSocketAddress at = startMember();
        members = "<html>not a member</html>";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> join(at).withMembers());
        assertTrue(e.getMessage().startsWith("--join: http://127.0.0.1:" + at.getPort()
                + "/members is not a member's /members"), e.getMessage());
        int closed = FreePorts.pick(1)[0];
        long start = System.nanoTime();
        e = assertThrows(IllegalArgumentException.class, () -> join(
                new InetSocketAddress("127.0.0.1", closed)).withMembers());
        assertTrue(e.getMessage().startsWith("--join: cannot read the members from"
                + " http://127.0.0.1:" + closed + "/members after 5 attempts"), e.getMessage());
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "bounded");
    }

    /** The three founders' membership at version zero: what a joining node starts with. */
    private static final Membership WITHOUT_4 = new Membership(Zxid.ZERO, Map.of(
            PeerId.of(1), "127.0.0.1:7001", PeerId.of(2), "127.0.0.1:7002",
            PeerId.of(3), "127.0.0.1:7003"), Map.of());

    private static Membership with4(String role) {
        Map<PeerId, String> voters = new TreeMap<>(WITHOUT_4.voters());
        Map<PeerId, String> observers = new TreeMap<>();
        (role.equals("voter") ? voters : observers).put(PeerId.of(4), "127.0.0.1:7004");
        return new Membership(new Zxid(1, 5), voters, observers);
    }

    @Test
    void notNowAnswersAreAskedAgainUntil200() throws Exception {
        InetSocketAddress at = startMember();
        synchronized (answers) {
            answers.add(new Object[] {503, "{\"error\":\"membership change refused: not caught"
                    + " up\"}"});
            answers.add(new Object[] {409, "{\"error\":\"another membership change\"}"});
            answers.add(new Object[] {504, "{\"error\":\"timeout, outcome unknown\"}"});
            answers.add(new Object[] {503, "{\"error\":\"refused\",\"leader\":2}"});
        }
        join(at).awaitAdded(PeerId.of(4), () -> WITHOUT_4, () -> false);
        assertEquals(5, puts.size(), puts.toString());
        assertEquals("PUT /members/4 voter=127.0.0.1:7004", puts.get(0));
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("server 4: not added yet (503 ") && out.contains("(409 ")
                && out.contains("(503 {\"error\":\"refused\",\"leader\":2}); asking again")
                && out.contains("server 4: added as voter; the cluster committed"), out);
    }

    /** Once added, the node says so with the membership it learned. */
    @Test
    void addedPrintsTheMembershipTheNodeLearned() throws Exception {
        InetSocketAddress at = startMember();
        List<Membership> learned = new ArrayList<>(List.of(WITHOUT_4));
        synchronized (answers) {
            answers.add(new Object[] {503, "{\"error\":\"not caught up\"}"});
        }
        // The node learns the change only once the member has answered 200.
        join(at, "--join-as", "observer").awaitAdded(PeerId.of(4), () -> {
            Membership m = learned.get(learned.size() - 1);
            if (puts.size() == 2) {
                learned.add(with4("observer"));
            }
            return m;
        }, () -> false);
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("server 4: added as"
                + " observer; membership 0x100000005, voters [1, 2, 3], observers [4]"),
                printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aRefusalForGoodNamesJoin() throws Exception {
        InetSocketAddress at = startMember();
        synchronized (answers) {
            answers.add(new Object[] {400, "{\"error\":\"bad\"}"});
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> join(at, "--join-as", "observer").awaitAdded(PeerId.of(4),
                        () -> WITHOUT_4, () -> false));
        assertTrue(e.getMessage().startsWith("--join: PUT http://127.0.0.1:" + at.getPort()
                + "/members/4 observer=127.0.0.1:7004 answered 400"), e.getMessage());
    }

    /** Restarted (or its disk lost), a node the cluster lists starts EXISTING and never asks. */
    @Test
    void aMemberAlreadyNeverAsks() throws Exception {
        InetSocketAddress at = startMember();
        members = THREE.replace("\"3\":\"127.0.0.1:7003\"",
                "\"3\":\"127.0.0.1:7003\",\"4\":\"127.0.0.1:7004\"");
        ClusterJoin j = join(at);
        assertEquals(ZabConfig.InitialClusterState.EXISTING, j.withMembers()
                .initialClusterState());
        j.awaitAdded(PeerId.of(4), () -> with4("voter"), () -> false);
        assertTrue(puts.isEmpty(), puts.toString());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains(
                "server 4: a member already (voter"), printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stoppingEndsTheAsking() throws Exception {
        InetSocketAddress at = startMember();
        join(at).awaitAdded(PeerId.of(4), () -> WITHOUT_4, () -> true);
        assertTrue(puts.isEmpty(), puts.toString());
    }
}
