package io.zab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every invalid configuration fails {@link ZabConfig.Builder#build()} with an
 * IllegalArgumentException whose message starts with the offending key, so an operator reading
 * it knows which setting to fix. Each case starts from a valid three-voter configuration and
 * breaks exactly one thing.
 */
class ZabConfigTest {
    @TempDir
    Path tmp;

    private static InetSocketAddress addr(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** A valid configuration of node 1 among voters 1, 2 and 3. */
    private static ZabConfig.Builder valid() {
        return ZabConfig.builder().peerId(1).voter(1, addr(7001)).voter(2, addr(7002))
                .voter(3, addr(7003));
    }

    private static void assertRejected(String key, ZabConfig.Builder b) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith(key + ": "),
                "the message names " + key + ": " + e.getMessage());
    }

    @Test
    void theBaseConfigurationIsValid() {
        ZabConfig c = valid().dataDir(tmp.resolve("data")).build();
        assertEquals(PeerId.of(1), c.peerId());
        assertEquals(3, c.voters().size());
        assertTrue(Files.isDirectory(tmp.resolve("data")), "build creates the data directory");
    }

    @Test
    void tlsFilesMustBeReadable() throws Exception {
        java.nio.file.Path pem = java.nio.file.Files.writeString(tmp.resolve("a.pem"), "x");
        assertRejected("tls", valid().tls(new ZabConfig.Tls(pem, pem,
                tmp.resolve("missing.pem"))));
        ZabConfig c = valid().tls(new ZabConfig.Tls(pem, pem, pem)).build();
        assertEquals(pem, c.tls().orElseThrow().trustedCaPem());
    }

    @Test
    void thePeerSecretNeedsSixteenBytesAndABadFileIsNamed() throws Exception {
        assertRejected("peerSecret", valid().peerSecret(new byte[15]));
        assertEquals(16, valid().peerSecret(new byte[16]).build().peerSecret().get().length);
        assertTrue(valid().build().peerSecret().isEmpty());
        java.nio.file.Path good = java.nio.file.Files.writeString(tmp.resolve("secret"),
                "0123456789abcdef\r\n");
        assertEquals("0123456789abcdef", new String(valid().peerSecretFile(good).build()
                .peerSecret().get(), java.nio.charset.StandardCharsets.US_ASCII));
        java.nio.file.Path empty = java.nio.file.Files.createFile(tmp.resolve("empty"));
        java.nio.file.Path shortOne = java.nio.file.Files.writeString(tmp.resolve("short"),
                "0123456789abcde\n");
        for (java.nio.file.Path bad : List.of(empty, shortOne, tmp.resolve("missing"), tmp)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    valid().peerSecretFile(bad)::build);
            assertTrue(e.getMessage().startsWith("peerSecretFile: ")
                    && e.getMessage().contains(bad.toString()), e.getMessage());
        }
    }

    @Test
    void handshakeLimitsHaveDefaultsAndMustBePositive() {
        ZabConfig c = valid().build();
        assertEquals(2_000, c.handshakeTimeoutMs());
        assertEquals(64, c.pendingHandshakesMax());
        assertRejected("handshakeTimeoutMs", valid().handshakeTimeoutMs(0));
        assertRejected("pendingHandshakesMax", valid().pendingHandshakesMax(-1));
    }

    @Test
    void aVoterListedTwiceIsRejected() {
        assertRejected("peers", valid().voter(2, addr(7004)));
    }

    @Test
    void anIdThatIsBothVoterAndObserverIsRejected() {
        assertRejected("peers", valid().observer(3, addr(7004)));
        assertRejected("peers", valid().observer(4, addr(7004)).observer(4, addr(7005)));
    }

    @Test
    void theOwnIdMustBeAMember() {
        assertRejected("peerId", valid().peerId(4));
    }

    @Test
    void theOwnIdMustBeSet() {
        assertRejected("peerId", ZabConfig.builder().voter(1, addr(7001)));
    }

    @Test
    void anObserverMayRunAsItself() {
        ZabConfig c = valid().observer(4, addr(7004)).peerId(4).build();
        assertEquals(3, c.voters().size());
        assertTrue(c.observers().containsKey(PeerId.of(4)));
    }

    @Test
    void atLeastOneVoterIsNeeded() {
        assertRejected("voters", ZabConfig.builder().peerId(4).observer(4, addr(7004)));
    }

    @Test
    void anEvenVoterSetMustBeAllowedExplicitly() {
        assertRejected("voters", valid().voter(4, addr(7004)));
        assertRejected("voters", ZabConfig.builder().peerId(1).voter(1, addr(7001))
                .voter(2, addr(7002)));
        ZabConfig four = valid().voter(4, addr(7004)).allowEvenVoters(true).build();
        assertEquals(4, four.voters().size());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void everyLimitMustBePositive(int bad) {
        List<Limit> limits = List.of(
                new Limit("tickIntervalMs", b -> b.tickIntervalMs(bad)),
                new Limit("initLimitTicks", b -> b.initLimitTicks(bad)),
                new Limit("syncLimitTicks", b -> b.syncLimitTicks(bad)),
                new Limit("maxTxnBytes", b -> b.maxTxnBytes(bad)),
                new Limit("inboxMaxBytes", b -> b.inboxMaxBytes(bad)),
                new Limit("pendingMaxTxns", b -> b.pendingMaxTxns(bad)),
                new Limit("pendingMaxBytes", b -> b.pendingMaxBytes(bad)),
                new Limit("proposalsInflightMax", b -> b.proposalsInflightMax(bad)),
                new Limit("proposalsInflightMaxBytes", b -> b.proposalsInflightMaxBytes(bad)),
                new Limit("learnerWindowBytes", b -> b.learnerWindowBytes(bad)),
                new Limit("groupCommitMaxBytes", b -> b.groupCommitMaxBytes(bad)),
                new Limit("historyMaxTxns", b -> b.historyMaxTxns(bad)),
                new Limit("historyMaxBytes", b -> b.historyMaxBytes(bad)),
                new Limit("snapshotEveryTxns", b -> b.snapshotEveryTxns(bad)));
        for (Limit limit : limits) {
            ZabConfig.Builder b = valid();
            limit.set().accept(b);
            assertRejected(limit.key(), b);
        }
    }

    private record Limit(String key, Consumer<ZabConfig.Builder> set) {
    }

    @Test
    void maxTxnBytesHasAnUpperBound() {
        assertRejected("maxTxnBytes", valid().maxTxnBytes((64 << 20) + 1));
        assertEquals(64 << 20, valid().maxTxnBytes(64 << 20).pendingMaxBytes(64 << 20).build()
                .maxTxnBytes());
        assertRejected("pendingMaxBytes",
                valid().maxTxnBytes(64 << 20).pendingMaxBytes(32L << 20));
        // Left unset, the pending budget grows to hold one largest txn.
        assertEquals(64L << 20, valid().maxTxnBytes(64 << 20).build().pendingMaxBytes());
    }

    @Test
    void theMembersTogetherCannotFillTheLeadersBudgetByDefault() {
        ZabConfig three = valid().build();
        assertEquals(3, three.members().size());
        assertEquals(10_000 / 3, three.pendingMaxTxns());
        assertEquals(three.proposalsInflightMaxBytes() / 3, three.pendingMaxBytes());
        ZabConfig.Builder five = valid().voter(4, addr(7004)).observer(5, addr(7005))
                .allowEvenVoters(true).proposalsInflightMax(1000)
                .proposalsInflightMaxBytes(50L << 20);
        assertEquals(200, five.build().pendingMaxTxns());
        assertEquals(10L << 20, five.build().pendingMaxBytes());
        ZabConfig set = valid().pendingMaxTxns(9000).pendingMaxBytes(1L << 30).build();
        assertEquals(9000, set.pendingMaxTxns());
        assertEquals(1L << 30, set.pendingMaxBytes());
        assertEquals(1, valid().proposalsInflightMax(2).build().pendingMaxTxns());
    }

    @Test
    void theDefaultPendingBudgetFollowsTheMembershipInForceAndASetOneDoesNot() {
        ZabConfig three = valid().build();
        assertEquals(three.pendingMaxTxns(), three.pendingMaxTxns(3));
        assertEquals(three.pendingMaxBytes(), three.pendingMaxBytes(3));
        assertEquals(2000, three.pendingMaxTxns(5));
        assertEquals(three.proposalsInflightMaxBytes() / 5, three.pendingMaxBytes(5));
        assertEquals(10_000, three.pendingMaxTxns(1));
        // The floor of one largest txn holds for any membership.
        assertEquals(three.maxTxnBytes(), three.pendingMaxBytes(1_000));
        ZabConfig set = valid().pendingMaxTxns(9000).pendingMaxBytes(1L << 30).build();
        assertEquals(9000, set.pendingMaxTxns(7));
        assertEquals(1L << 30, set.pendingMaxBytes(7));
    }

    @Test
    void aDataDirThatIsAFileIsRejected() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        assertRejected("dataDir", valid().dataDir(file));
        assertRejected("dataDir", valid().dataDir(file.resolve("below")));
    }

    @Test
    void anUnreadableDataDirIsRejected() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("locked"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("---------"));
        try {
            // root reads and writes anything: the permission check cannot fail there.
            assumeTrue(!Files.isReadable(dir), "running as a user who ignores permissions");
            assertRejected("dataDir", valid().dataDir(dir));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
