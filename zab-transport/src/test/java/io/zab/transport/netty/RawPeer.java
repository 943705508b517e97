package io.zab.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.zab.codec.CodecException;
import io.zab.codec.MessageCodec;
import io.zab.protocol.message.Message;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/** A hand-driven TCP client that speaks (or mis-speaks) the wire protocol, for bad-input tests. */
final class RawPeer implements AutoCloseable {
    private final Socket socket;

    RawPeer(InetAddress from, InetSocketAddress to) throws IOException {
        socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(to, 5_000);
        socket.setSoTimeout(10_000);
    }

    /** How the node sees us: "/127.0.0.x:port". */
    String seenAs() {
        return "/" + socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    void write(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    void write(ByteBuf buf) throws IOException {
        write(ByteBufUtil.getBytes(buf));
        buf.release();
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    static byte[] frame(byte kind, byte[] payload) {
        ByteBuf f = Frames.start(UnpooledByteBufAllocator.DEFAULT, kind, payload.length)
                .writeBytes(payload);
        return bytesOf(Frames.finish(f));
    }

    /** The frame's bytes; the buffer (direct, so watched by Netty's leak detector) is freed. */
    private static byte[] bytesOf(ByteBuf frame) {
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    static byte[] hello(String cluster, int sid) {
        return bytesOf(Handshake.hello(cluster, sid, false)
                .encode(UnpooledByteBufAllocator.DEFAULT));
    }

    /** Says HELLO as {@code sid} and expects ACCEPT (sid must be above the node's). */
    void handshakeAs(int sid) throws IOException {
        write(hello(TestNet.CLUSTER, sid));
        Handshake reply = readHandshake();
        assertEquals(Handshake.Status.ACCEPT, reply.status(), "reply " + reply);
    }

    Handshake readHandshake() throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int length = in.readInt();
        in.readInt();
        byte[] body = new byte[length];
        in.readFully(body);
        ByteBuf b = Unpooled.wrappedBuffer(body);
        assertEquals(Frames.KIND_HANDSHAKE, b.readByte());
        return Handshake.decode(b);
    }

    /** Messages of a batch frame read but not yet returned. */
    private final java.util.ArrayDeque<Message> unread = new java.util.ArrayDeque<>();

    /** The next message (of a message or batch frame; NOP frames skipped), decoded. */
    Message readMessage() throws IOException, CodecException {
        if (!unread.isEmpty()) {
            return unread.poll();
        }
        DataInputStream in = new DataInputStream(socket.getInputStream());
        for (int frames = 0; frames < 100; frames++) {
            int length = in.readInt();
            in.readInt();
            byte[] body = new byte[length];
            in.readFully(body);
            if (body[0] == Frames.KIND_MESSAGE) {
                return MessageCodec.decode(ByteBuffer.wrap(body, 1, length - 1));
            }
            if (body[0] == Frames.KIND_BATCH) {
                ByteBuffer b = ByteBuffer.wrap(body, 1, length - 1);
                while (b.hasRemaining()) {
                    int n = b.getInt();
                    unread.add(MessageCodec.decode(ByteBuffer.wrap(body, b.position(), n)));
                    b.position(b.position() + n);
                }
                return unread.poll();
            }
        }
        throw new IOException("no message frame among 100");
    }

    /** True once the node has closed the connection (EOF or reset); false at the deadline. */
    boolean awaitClosedByPeer() throws IOException {
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[4096];
        try {
            for (int reads = 0; reads < 10_000; reads++) {
                if (in.read(sink) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // connection reset: closed too
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
