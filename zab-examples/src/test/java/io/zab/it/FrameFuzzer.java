package io.zab.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.zab.codec.MessageCodec;
import io.zab.codec.RandomMessages;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.Handshake.Status;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Throws mutated frames at one node's quorum port over raw TCP connections, in the wire format
 * of zab-transport ({@code [length u32][crc32c u32][kind u8][payload]}, a handshake first). Each
 * connection gets one of four treatments:
 * <ul>
 * <li>noise: frames of random bytes under random headers;
 * <li>bad lengths: a header announcing 0, just over a limit, 2 GiB, 4 GiB - 1, or a body that
 * never comes;
 * <li>a mutated handshake: a HELLO with bits flipped (its CRC recomputed half of the time, so
 * the handshake decoder sees the damage), claiming the fuzzer's own sid, a running voter's sid
 * (from the wrong address), an unknown sid, or the wrong cluster id;
 * <li>mutated messages: a valid HELLO as the fuzzer's sid (a configured observer that never runs,
 * whose address is the one the fuzzer connects from), then message frames of every type with
 * bits flipped, bodies cut or extended (CRC recomputed, so the message decoder sees them), CRCs
 * left stale, kinds changed, and some left intact.
 * </ul>
 * Every connection ends with a half-close and a read to end of stream, so the node has seen all
 * of it before the next one starts. Counts frames and connections.
 *
 * <p>One instance per fuzzing thread.
 */
final class FrameFuzzer {
    private final InetSocketAddress from;
    private final InetSocketAddress target;
    private final int ownSid;
    private final int voterSid;
    private final SplittableRandom random;
    private final RandomMessages messages;
    private final AtomicLong frames;
    private final AtomicLong connections;
    private final AtomicLong accepted;
    private final AtomicLong framesAfterAccept;

    FrameFuzzer(InetSocketAddress from, InetSocketAddress target, int ownSid, int voterSid,
            long seed, Counters counters) {
        this.from = from;
        this.target = target;
        this.ownSid = ownSid;
        this.voterSid = voterSid;
        this.random = new SplittableRandom(seed);
        this.messages = new RandomMessages(seed, 256);
        this.frames = counters.frames;
        this.connections = counters.connections;
        this.accepted = counters.accepted;
        this.framesAfterAccept = counters.framesAfterAccept;
    }

    /** Totals over all fuzzers; any thread. */
    static final class Counters {
        /** Frames handed to the kernel in full. */
        final AtomicLong frames = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        /** Connections whose HELLO as the fuzzer's sid was accepted. */
        final AtomicLong accepted = new AtomicLong();
        /** Message frames sent on those, past the handshake, to the message decoder. */
        final AtomicLong framesAfterAccept = new AtomicLong();

        @Override
        public String toString() {
            return frames + " frames on " + connections + " connections (" + accepted
                    + " accepted as the fuzzer's sid, carrying " + framesAfterAccept
                    + " message frames)";
        }
    }

    /** One connection with one treatment. */
    void connectOnce() throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from.getAddress(), 0));
            s.connect(target, 5_000);
            s.setSoTimeout(10_000);
            connections.incrementAndGet();
            int pick = random.nextInt(100);
            Batch written = new Batch();
            if (pick < 15) {
                noise(written);
            } else if (pick < 25) {
                badLength(written);
            } else if (pick < 45) {
                mutatedHandshake(written);
            } else {
                written.add(hello(Clusters.CLUSTER_ID, ownSid));
                if (!send(s, written) || !readFrame(s)) {
                    return; // refused (a former connection as this sid may be closing)
                }
                accepted.incrementAndGet();
                written = new Batch();
                mutatedMessages(written);
            }
            if (send(s, written)) {
                if (pick >= 45) {
                    framesAfterAccept.addAndGet(written.count);
                }
                s.shutdownOutput();
                drain(s.getInputStream());
            }
        }
    }

    /** Bytes of several frames, and how many frames they are. */
    private static final class Batch {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int count;

        void add(byte[] frame) {
            bytes.writeBytes(frame);
            count++;
        }
    }

    private boolean send(Socket s, Batch f) {
        try {
            s.getOutputStream().write(f.bytes.toByteArray());
            s.getOutputStream().flush();
            frames.addAndGet(f.count);
            return true;
        } catch (IOException e) {
            return false; // the node closed first (and reset): these were not all sent
        }
    }

    private void noise(Batch out) {
        int n = 5 + random.nextInt(40);
        for (int i = 0; i < n; i++) {
            byte[] f = new byte[Frames.HEADER_BYTES
                    + random.nextInt(64)];
            random.nextBytes(f);
            if (random.nextBoolean()) { // a plausible length, so the CRC check is reached
                ByteBuffer.wrap(f).putInt(0, f.length - 8);
            }
            out.add(f);
        }
    }

    private void badLength(Batch out) {
        long[] lengths = {0, 1_025, 1L << 31, 0xFFFF_FFFFL, 1_025 + random.nextInt(1 << 20),
            (1 << 20) + 2};
        long length = lengths[random.nextInt(lengths.length)];
        int n = 5 + random.nextInt(30);
        for (int i = 0; i < n; i++) {
            byte[] f = new byte[8 + random.nextInt(32)];
            random.nextBytes(f);
            ByteBuffer.wrap(f).putInt(0, (int) length);
            out.add(f);
        }
        if (random.nextBoolean()) { // a frame whose body never comes: the connection ends
            byte[] cut = frame(Frames.KIND_MESSAGE, new byte[40]);
            out.add(Arrays.copyOf(cut, 8 + random.nextInt(40)));
        }
    }

    private void mutatedHandshake(Batch out) {
        byte[] hello;
        switch (random.nextInt(4)) {
            case 0: hello = hello(Clusters.CLUSTER_ID, voterSid); break; // wrong address
            case 1: hello = hello(Clusters.CLUSTER_ID, 77); break; // unknown sid
            case 2: hello = hello("not-" + Clusters.CLUSTER_ID, ownSid); break;
            default: hello = hello(Clusters.CLUSTER_ID, ownSid); break;
        }
        flip(hello, 8, 1 + random.nextInt(3));
        if (random.nextBoolean()) {
            resealCrc(hello);
        }
        out.add(hello);
        mutatedMessages(out); // whatever follows a bad handshake is ignored
    }

    private void mutatedMessages(Batch out) {
        int n = 20 + random.nextInt(60);
        for (int i = 0; i < n; i++) {
            byte[] f = frame(Frames.KIND_MESSAGE,
                    MessageCodec.encode(messages.next()));
            int how = random.nextInt(100);
            if (how < 45) {
                flip(f, 9, 1 + random.nextInt(4)); // in the message, CRC resealed
                resealCrc(f);
            } else if (how < 55) {
                flip(f, 8, 1); // CRC left stale
            } else if (how < 65) {
                f = resize(f);
            } else if (how < 75) {
                byte[] kinds = {Frames.KIND_HANDSHAKE,
                    Frames.KIND_NOP, (byte) random.nextInt(256)};
                f[8] = kinds[random.nextInt(kinds.length)];
                resealCrc(f);
            }
            out.add(f); // else intact: a well-formed message from a member that never runs
        }
    }

    /** Cuts or extends the body and fixes length and CRC: the message decoder must notice. */
    private byte[] resize(byte[] f) {
        int body = f.length - 8;
        int newBody = random.nextBoolean() ? 1 + random.nextInt(body)
                : body + 1 + random.nextInt(16);
        byte[] g = Arrays.copyOf(f, 8 + newBody);
        ByteBuffer.wrap(g).putInt(0, newBody);
        resealCrc(g);
        return g;
    }

    private void flip(byte[] f, int fromIndex, int bits) {
        for (int i = 0; i < bits && f.length > fromIndex; i++) {
            int at = fromIndex + random.nextInt(f.length - fromIndex);
            f[at] ^= (byte) (1 << random.nextInt(8));
        }
    }

    private static byte[] hello(String cluster, int sid) {
        ByteBuf frame = Handshake.hello(cluster, sid, false)
                .encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    private static byte[] frame(byte kind, byte[] payload) {
        byte[] f = new byte[8 + 1 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.putInt(1 + payload.length).putInt(0).put(kind).put(payload);
        resealCrc(f);
        return f;
    }

    private static void resealCrc(byte[] f) {
        CRC32C crc = new CRC32C();
        crc.update(f, 8, f.length - 8);
        ByteBuffer.wrap(f).putInt(4, (int) crc.getValue());
    }

    /** Reads the node's answer to HELLO: true for ACCEPT. */
    private static boolean readFrame(Socket s) {
        try {
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            in.readInt();
            if (length < 1 || length > 4096) {
                return false;
            }
            byte[] body = new byte[length];
            in.readFully(body);
            return body[0] == Frames.KIND_HANDSHAKE && Handshake.decode(
                    Unpooled.wrappedBuffer(body, 1, length - 1)).status() == Status.ACCEPT;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Reads until the node closes its side (it closes once we half-closed or it refused). */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        try {
            for (int reads = 0; reads < 100_000; reads++) {
                if (in.read(sink) < 0) {
                    return;
                }
            }
            throw new IOException("the node kept sending for 100,000 reads");
        } catch (SocketException e) {
            return; // reset: closed as well
        } catch (SocketTimeoutException e) {
            throw new IOException("the node neither answered nor closed within 10 s", e);
        }
    }
}
