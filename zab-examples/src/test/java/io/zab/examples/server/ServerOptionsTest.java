package io.zab.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.ZabConfig;
import io.zab.examples.kv.HttpLimits;
import io.zab.PeerId;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's options: every bad value names its option; defaults are the documented ones. */
class ServerOptionsTest {
    @TempDir
    Path dir;

    private List<String> base(String... more) {
        List<String> args = new ArrayList<>(List.of("--id", "2", "--peers",
                "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003", "--data-dir",
                dir.resolve("d").toString(), "--http", "127.0.0.1:8002"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void defaultsFoundANewCluster() {
        ServerOptions o = ServerOptions.parse(base());
        assertEquals(2, o.id());
        assertEquals(3, o.peers().size());
        assertEquals(ZabConfig.InitialClusterState.NEW, o.initialClusterState());
        assertEquals(ZabConfig.InitialClusterState.NEW,
                ServerCommand.zabConfig(o).initialClusterState());
    }

    @Test
    void existingIsPassedToTheNodeConfig() {
        ServerOptions o = ServerOptions.parse(base("--initial-cluster-state", "existing"));
        assertEquals(ZabConfig.InitialClusterState.EXISTING, o.initialClusterState());
        ZabConfig c = ServerCommand.zabConfig(o);
        assertEquals(ZabConfig.InitialClusterState.EXISTING, c.initialClusterState());
        assertTrue(io.zab.runtime.NodeWiring.coreConfig(c).joinExisting());
    }

    @Test
    void aBadClusterStateNamesTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--initial-cluster-state", "old")));
        assertEquals("--initial-cluster-state: must be new or existing, was 'old'",
                e.getMessage());
    }

    @Test
    void theConfigFileTakesTheSameKey() throws Exception {
        Path f = dir.resolve("node.properties");
        Files.writeString(f, "initial-cluster-state=existing\ntick-ms=50\n");
        ServerOptions o = ServerOptions.parse(base("--config", f.toString()));
        assertEquals(ZabConfig.InitialClusterState.EXISTING, o.initialClusterState());
        assertEquals(50, o.tickMs());
    }

    @Test
    void thePeerSecretFileReachesTheNodeAndABadOneStopsTheStartNamingIt() throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "0123456789abcdef0123\n");
        ZabConfig c = ServerCommand.zabConfig(ServerOptions.parse(base("--peer-secret-file",
                secret.toString())));
        assertEquals("0123456789abcdef0123", new String(c.peerSecret().get(),
                java.nio.charset.StandardCharsets.US_ASCII));
        Path shortOne = dir.resolve("short");
        Files.writeString(shortOne, "too short\n");
        Path missing = dir.resolve("missing");
        Path empty = Files.createFile(dir.resolve("empty"));
        for (Path bad : List.of(shortOne, missing, empty)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerCommand.zabConfig(ServerOptions.parse(base("--peer-secret-file",
                            bad.toString()))));
            assertTrue(e.getMessage().startsWith("--peer-secret-file: peerSecretFile: ")
                    && e.getMessage().contains(bad.toString()), e.getMessage());
        }
    }

    @Test
    void theTlsFilesGoTogether() throws Exception {
        Path pem = Files.writeString(dir.resolve("x.pem"), "x");
        ServerOptions o = ServerOptions.parse(base("--tls-key", pem.toString(),
                "--tls-cert-chain", pem.toString(), "--tls-ca", pem.toString()));
        assertEquals(new ZabConfig.Tls(pem, pem, pem), ServerCommand.zabConfig(o).tls().get());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--tls-key", pem.toString())));
        assertEquals("--tls-cert-chain: required with --tls-key, --tls-cert-chain and --tls-ca"
                + " (the three go together)", e.getMessage());
        assertTrue(ServerCommand.zabConfig(ServerOptions.parse(base())).tls().isEmpty());
    }

    @Test
    void unknownAndBadOptionsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--bogus", "1")));
        assertTrue(e.getMessage().startsWith("--bogus: unknown option"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--tick-ms", "-5")));
        assertTrue(e.getMessage().startsWith("--tick-ms"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(List.of("--id", "1")));
        assertTrue(e.getMessage().startsWith("--peers: required")
                || e.getMessage().startsWith("--data-dir") || e.getMessage().startsWith("--http"),
                e.getMessage());
    }

    @Test
    void httpLimitsHaveDefaultsAndTakeTheirOptions() {
        HttpLimits d = ServerOptions.parse(base()).httpLimits();
        assertEquals(HttpLimits.defaults(1 << 20), d);
        HttpLimits set = ServerOptions.parse(base("--http-max-header-bytes", "4096",
                "--http-max-connections", "16", "--http-idle-ms", "500",
                "--http-max-inflight-bytes", "65536", "--max-txn-bytes", "1000")).httpLimits();
        assertEquals(new HttpLimits(1000, 4096, 16, 500, 65536), set);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--http-idle-ms", "0")));
        assertTrue(e.getMessage().startsWith("--http-idle-ms"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(base("--http-max-connections", "100001")));
        assertEquals("--http-max-connections: at most 100000, was 100001", e.getMessage());
    }

    @Test
    void theNodeBudgetHasRoomForEveryWriteTheServerLetsIn() {
        ZabConfig c = ServerCommand.zabConfig(ServerOptions.parse(base(
                "--http-max-inflight-bytes", "67108864", "--http-max-connections", "20000")));
        assertTrue(c.pendingMaxBytes() >= (64L << 20) + 4 * (1 << 20), "" + c.pendingMaxBytes());
        assertTrue(c.pendingMaxTxns() >= 20_000, "" + c.pendingMaxTxns());
        ZabConfig d = ServerCommand.zabConfig(ServerOptions.parse(base()));
        assertEquals(32L << 20, d.pendingMaxBytes());
        assertEquals(10_000, d.pendingMaxTxns());
    }

    private List<String> joining(String... more) {
        List<String> args = new ArrayList<>(List.of("--id", "4", "--join", "127.0.0.1:8081",
                "--listen", "127.0.0.1:7004", "--data-dir", dir.resolve("d").toString(),
                "--http", "127.0.0.1:8084"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void joinNeedsNoPeersAndImpliesJoin() {
        ServerOptions o = ServerOptions.parse(joining());
        assertEquals(new ServerOptions.Join(new InetSocketAddress("127.0.0.1", 8081),
                new InetSocketAddress("127.0.0.1", 7004), false), o.join());
        assertEquals("voter", o.join().role());
        assertEquals(ZabConfig.InitialClusterState.JOIN, o.initialClusterState());
        assertTrue(o.peers().isEmpty());
        // Before the members are read, the node alone stands in for them: the other options
        // are checked at start.
        ZabConfig alone = ServerCommand.zabConfig(o);
        assertEquals(ZabConfig.InitialClusterState.JOIN, alone.initialClusterState());
        assertEquals(Set.of(PeerId.of(4)), alone.voters().keySet());
        assertTrue(ServerOptions.parse(joining("--join-as", "observer")).join().asObserver());
        assertEquals("observer", ServerOptions.parse(joining("--join-as", "observer")).join()
                .role());
        assertTrue(ServerOptions.usage().contains("--join HOST:PORT"));
        assertTrue(ServerOptions.usage().contains("--listen HOST:PORT"));
        assertTrue(ServerOptions.usage().contains("--join-as voter|observer"));
    }

    @Test
    void theMembersReadFromTheClusterMakeTheConfig() {
        ServerOptions o = ServerOptions.parse(joining("--join-as", "observer"));
        Map<Integer, InetSocketAddress> voters = new TreeMap<>();
        for (int i = 1; i <= 4; i++) {
            voters.put(i, new InetSocketAddress("127.0.0.1", 7000 + i));
        }
        Map<Integer, InetSocketAddress> observers = Map.of(5,
                new InetSocketAddress("127.0.0.1", 7005));
        // Four voters: the running cluster's count, even or not, is not this node's choice.
        ZabConfig c = ServerCommand.zabConfig(o.withMembers(voters, observers,
                ZabConfig.InitialClusterState.EXISTING));
        assertEquals(4, c.voters().size());
        assertEquals(Set.of(PeerId.of(5)), c.observers().keySet());
        assertEquals(ZabConfig.InitialClusterState.EXISTING, c.initialClusterState());
    }

    @Test
    void joinOptionsNameThemselvesWhenWrong() {
        assertParseFails(joining("--peers", "1=127.0.0.1:7001"), "--peers: not with --join");
        assertParseFails(joining("--observers", "5=127.0.0.1:7005"),
                "--observers: not with --join");
        assertParseFails(joining("--initial-cluster-state", "existing"),
                "--initial-cluster-state: not with --join");
        assertParseFails(joining("--join-as", "leader"),
                "--join-as: must be voter or observer, was 'leader'");
        assertParseFails(base("--listen", "127.0.0.1:7002"), "--listen: only with --join");
        assertParseFails(base("--join-as", "voter"), "--join-as: only with --join");
        assertParseFails(List.of("--id", "4", "--join", "127.0.0.1:8081", "--data-dir", "d",
                "--http", "127.0.0.1:8084"), "--listen: required with --join");
        assertParseFails(joining("--join", "nowhere"), "--join: expected host:port");
        assertParseFails(joining("--join", "127.0.0.1:0"), "--join: port 0 cannot be dialed");
        assertParseFails(joining("--listen", "127.0.0.1:x"), "--listen: bad port");
        assertParseFails(joining("--listen", "127.0.0.1:0"), "--listen: port 0");
        assertParseFails(List.of("--id", "4", "--listen", "127.0.0.1:7004", "--data-dir", "d",
                "--http", "127.0.0.1:8084"), "--listen: only with --join");
    }

    private static void assertParseFails(List<String> args, String start) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerOptions.parse(args));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    @Test
    void joinTakesItsKeysFromTheConfigFileToo() throws Exception {
        Path f = dir.resolve("join.properties");
        Files.writeString(f, "join=127.0.0.1:8081\nlisten=127.0.0.1:7004\njoin-as=observer\n");
        ServerOptions o = ServerOptions.parse(List.of("--id", "4", "--config", f.toString(),
                "--data-dir", dir.resolve("d").toString(), "--http", "127.0.0.1:8084"));
        assertTrue(o.join().asObserver());
        assertEquals(7004, o.join().listen().getPort());
    }
}
