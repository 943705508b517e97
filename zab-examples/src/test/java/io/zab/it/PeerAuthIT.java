package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.testkit.FreePorts;
import io.zab.testkit.TestCluster;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.Handshake.Status;
import io.zab.transport.netty.codec.PeerAuth;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: a three-voter ensemble with a peer secret, over Netty on 127.0.0.1 (so every
 * stranger below connects from the members' own address and passes the address check), takes
 * writes while (1) raw clients claim each live member's sid at every node, without the secret
 * and with a wrong one, and (2) whole nodes built with a wrong secret, or none, run under a live
 * follower's id and dial the others. Every stranger is refused, none replaces a live connection
 * (the epoch and leader never change), the writes go on, and every acknowledged write is there
 * at the end.
 */
class PeerAuthIT {
    private static final byte[] SECRET = "the-ensemble-secret-0123456789ab".getBytes(
            StandardCharsets.US_ASCII);
    private static final byte[] WRONG = "a-wrong-secret-of-the-same-size!".getBytes(
            StandardCharsets.US_ASCII);
    private static final int RAW_ROUNDS = 10;

    @TempDir
    Path root;

    @Test
    void strangersWithoutTheSecretAreRefusedAndTheEnsembleCarriesOn() throws Exception {
        try (TestCluster<HistoryMachine> c = Clusters.netty(root.resolve("c"))
                .configure(b -> b.peerSecret(SECRET)).start();
                Writer w = new Writer("a", Clusters.anyRunning(c), 100)) {
            int leader = c.awaitLeader(Clusters.DEADLINE);
            long epoch = c.node(leader).status().epoch();
            w.start();
            w.awaitAcked(c, 300);
            int refused = 0;
            for (int round = 0; round < RAW_ROUNDS; round++) {
                for (int target : c.voters()) {
                    for (int claimed : c.voters()) {
                        if (claimed != target) {
                            refused += rawWithoutSecret(c.address(target), claimed);
                            refused += rawWithWrongSecret(c.address(target), claimed);
                        }
                    }
                }
            }
            assertEquals(RAW_ROUNDS * 12, refused);
            w.awaitAcked(c, w.acked().size() + 300); // writes go on
            int follower = c.voters().stream().filter(id -> id != leader).findFirst().get();
            impostor(c, follower, WRONG, "wrong");
            impostor(c, follower, null, "none");
            w.awaitAcked(c, w.acked().size() + 300);
            w.stop();
            byte[] record = Clusters.converged(c);
            w.assertFailuresOnly(Writer.transientFailures());
            w.assertAllAckedIn(record);
            c.assertNoFailures();
            assertEquals(leader, c.leader().orElseThrow());
            assertEquals(epoch, c.node(leader).status().epoch(), "the leader never changed");
            System.out.printf("peer-auth: %d raw strangers refused; %d writes acknowledged,"
                    + " failures %s%n", refused, w.acked().size(), w.failures());
        }
    }

    /**
     * Runs a node with {@code secret} (null: none) under {@code id}, at a port of its own, for
     * as long as the ensemble takes 300 more writes; it must never get a leader.
     */
    private void impostor(TestCluster<HistoryMachine> c, int id, byte[] secret, String name)
            throws Exception {
        ZabConfig.Builder b = ZabConfig.builder().peerId(id).clusterId(Clusters.CLUSTER_ID)
                .dataDir(root.resolve("impostor-" + name)).peerSecret(secret);
        for (int member : c.voters()) {
            b.voter(member, member == id ? new InetSocketAddress("127.0.0.1",
                    FreePorts.pick(1)[0]) : c.address(member));
        }
        long ackedBefore = c.node(c.leader().orElseThrow()).status().lastCommittedZxid()
                .counter();
        try (ZabNode impostor = ZabNode.builder().config(b.build())
                .stateMachine(new HistoryMachine()).build().start()) {
            Clusters.await(c, "300 commits while the impostor runs", () -> c.node(
                    c.leader().orElseThrow()).status().lastCommittedZxid().counter()
                    >= ackedBefore + 300);
            assertFalse(impostor.whenReady().isDone(), "the impostor (" + name + ") joined");
            assertFalse(impostor.status().broadcasting());
        }
    }

    /** A HELLO without the secret claiming {@code sid}: REJECT and close. Returns 1. */
    private static int rawWithoutSecret(InetSocketAddress to, int sid) throws IOException {
        try (Socket s = connect(to)) {
            write(s, Handshake.hello(Clusters.CLUSTER_ID, sid, false));
            Handshake reply = read(s);
            assertEquals(Status.REJECT, reply.status(), "reply " + reply);
            assertClosed(s);
            return 1;
        }
    }

    /** The dialer's side of the handshake with the wrong secret: REJECT and close. */
    private static int rawWithWrongSecret(InetSocketAddress to, int sid) throws IOException {
        PeerAuth auth = new PeerAuth(WRONG, new SecureRandom());
        try (Socket s = connect(to)) {
            byte[] nonce = auth.nonce();
            write(s, Handshake.hello(Clusters.CLUSTER_ID, sid, false, nonce));
            Handshake challenge = read(s);
            assertEquals(Status.CHALLENGE, challenge.status(), "reply " + challenge);
            write(s, Handshake.proof(Clusters.CLUSTER_ID, sid, auth.mac(PeerAuth.Side.DIALER,
                    Clusters.CLUSTER_ID, sid, challenge.sid(), nonce, challenge.nonce())));
            Handshake reply = read(s);
            assertEquals(Status.REJECT, reply.status(), "reply " + reply);
            assertEquals("authentication failed", reply.reason());
            assertClosed(s);
            return 1;
        }
    }

    private static Socket connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.connect(to, 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static void write(Socket s, Handshake hs) throws IOException {
        ByteBuf b = hs.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            s.getOutputStream().write(ByteBufUtil.getBytes(b));
        } finally {
            b.release();
        }
    }

    private static Handshake read(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readInt();
        in.readInt();
        assertTrue(length > 0 && length <= Frames.MAX_HANDSHAKE_BODY, "length " + length);
        byte[] body = new byte[length];
        in.readFully(body);
        assertEquals(Frames.KIND_HANDSHAKE, body[0]);
        return Handshake.decode(Unpooled.wrappedBuffer(body, 1, length - 1));
    }

    private static void assertClosed(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            while (System.nanoTime() < end) {
                if (in.read(new byte[256]) < 0) {
                    return;
                }
            }
        } catch (SocketException reset) {
            return;
        }
        throw new AssertionError("the node kept the connection open");
    }
}
