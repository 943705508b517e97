package io.zab.transport.netty.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.zab.PeerId;
import io.zab.transport.netty.codec.Frames;
import io.zab.transport.netty.codec.Handshake;
import io.zab.transport.netty.codec.Handshake.Status;
import io.zab.transport.netty.codec.PeerAuth;
import io.zab.transport.netty.codec.ProtocolViolation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Both sides of the handshake against a scripted directory, in EmbeddedChannels. */
class HandshakeHandlerTest {
    private static final PeerId SELF = PeerId.of(2);

    /** Records the calls the handler makes. */
    static final class FakeDirectory implements HandshakeHandler.Directory {
        final List<String> calls = new ArrayList<>();
        final PeerId self;
        String identityProblem;
        boolean dropped;
        PeerAuth auth;
        /** Acceptor: answer a verified HELLO with ACCEPT, as the transport would. */
        boolean answer;

        FakeDirectory() {
            this(SELF, null);
        }

        FakeDirectory(PeerId self, PeerAuth auth) {
            this.self = self;
            this.auth = auth;
        }

        @Override
        public PeerId self() {
            return self;
        }

        @Override
        public PeerAuth auth() {
            return auth;
        }

        @Override
        public String clusterId() {
            return "test";
        }

        @Override
        public String checkIdentity(Channel ch, int sid) {
            return identityProblem;
        }

        @Override
        public boolean droppedSinceConnected(PeerId peer) {
            return dropped;
        }

        @Override
        public void inboundHello(Channel ch, PeerId peer, Handshake hello) {
            calls.add("inbound " + peer + " dropped=" + hello.dropped());
            if (answer) {
                ch.writeAndFlush(Handshake.reply("test", self.value(), Status.ACCEPT, false, "")
                        .encode(ch.alloc()));
            }
        }

        @Override
        public void outboundAccepted(Channel ch, PeerId peer, Handshake reply) {
            calls.add("accepted " + peer + " dropped=" + reply.dropped());
        }

        @Override
        public void outboundDialBack(Channel ch, PeerId peer) {
            calls.add("dial-back " + peer);
        }
    }

    private final FakeDirectory directory = new FakeDirectory();

    private static ByteBuf body(Handshake hs) {
        ByteBuf frame = hs.encode(ByteBufAllocator.DEFAULT);
        frame.skipBytes(Frames.HEADER_BYTES);
        return frame;
    }

    private static Handshake readHandshake(EmbeddedChannel ch) {
        ByteBuf frame = ch.readOutbound();
        frame.skipBytes(Frames.HEADER_BYTES);
        assertEquals(Frames.KIND_HANDSHAKE, frame.readByte());
        Handshake hs = Handshake.decode(frame);
        frame.release();
        return hs;
    }

    private EmbeddedChannel acceptor() {
        return new EmbeddedChannel(new HandshakeHandler(directory, null, 300));
    }

    private EmbeddedChannel dialer(PeerId to) {
        return new EmbeddedChannel(new HandshakeHandler(directory, to, 300));
    }

    @Test
    void acceptorHandsAVerifiedHelloToTheDirectoryAndGetsOutOfTheWay() {
        EmbeddedChannel ch = acceptor();
        ch.writeInbound(body(Handshake.hello("test", 3, true)));
        assertEquals(List.of("inbound 3 dropped=true"), directory.calls);
        assertEquals(PeerId.of(3), ch.attr(ConnectionGuard.PEER).get());
        assertNull(ch.pipeline().get(HandshakeHandler.class));
        assertTrue(ch.isOpen());
        // The answer is the directory's to write (it decides ACCEPT or DIAL_BACK).
        assertNull(ch.readOutbound());
    }

    @Test
    void acceptorRejectsAWrongClusterWithTheReason() {
        EmbeddedChannel ch = acceptor();
        ch.writeInbound(body(Handshake.hello("other", 3, false)));
        Handshake reply = readHandshake(ch);
        assertEquals(Status.REJECT, reply.status());
        assertEquals("cluster id 'other' does not match ours ('test')", reply.reason());
        assertFalse(ch.isOpen());
        assertTrue(directory.calls.isEmpty());
    }

    @Test
    void acceptorRejectsOurOwnSidAndFailedIdentity() {
        EmbeddedChannel own = acceptor();
        own.writeInbound(body(Handshake.hello("test", 2, false)));
        assertEquals("claims our own sid 2", readHandshake(own).reason());
        assertFalse(own.isOpen());

        directory.identityProblem = "claims sid 3, which must connect from 127.0.0.13";
        EmbeddedChannel impostor = acceptor();
        impostor.writeInbound(body(Handshake.hello("test", 3, false)));
        assertEquals(directory.identityProblem, readHandshake(impostor).reason());
        assertFalse(impostor.isOpen());
        assertTrue(directory.calls.isEmpty());
    }

    @Test
    void acceptorClosesAPeerThatSaysNothing() {
        EmbeddedChannel ch = acceptor();
        ch.advanceTimeBy(299, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.checkException();
        ch.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ProtocolViolation e = assertThrows(ProtocolViolation.class, ch::checkException);
        assertEquals("no handshake within 300 ms", e.getMessage());
    }

    @Test
    void acceptorRefusesAnythingButAHandshakeFirst() {
        EmbeddedChannel ch = acceptor();
        ByteBuf nop = Frames.empty(ByteBufAllocator.DEFAULT, Frames.KIND_NOP);
        nop.skipBytes(Frames.HEADER_BYTES);
        ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> ch.writeInbound(nop));
        assertEquals("expected a handshake, got frame kind 0x4e", e.getMessage());
    }

    @Test
    void dialerSaysHelloWithItsDroppedFlagAndAcceptsAnAccept() {
        directory.dropped = true;
        EmbeddedChannel ch = dialer(PeerId.of(1));
        assertEquals(Handshake.hello("test", 2, true), readHandshake(ch));
        ch.writeInbound(body(Handshake.reply("test", 1, Status.ACCEPT, false, "")));
        assertEquals(List.of("accepted 1 dropped=false"), directory.calls);
        assertNull(ch.pipeline().get(HandshakeHandler.class));
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.checkException(); // the timeout was cancelled
    }

    @Test
    void dialerClosesQuietlyOnDialBack() {
        EmbeddedChannel ch = dialer(PeerId.of(3));
        readHandshake(ch).status();
        ch.writeInbound(body(Handshake.reply("test", 3, Status.DIAL_BACK, false, "")));
        assertEquals(List.of("dial-back 3"), directory.calls);
        assertFalse(ch.isOpen());
    }

    @Test
    void dialerFailsOnRejectOrOnTheWrongPeer() {
        EmbeddedChannel rejected = dialer(PeerId.of(1));
        readHandshake(rejected);
        ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> rejected.writeInbound(
                body(Handshake.reply("test", 1, Status.REJECT, false, "unknown sid 2"))));
        assertEquals("refused by the peer: unknown sid 2", e.getMessage());

        EmbeddedChannel wrong = dialer(PeerId.of(1));
        readHandshake(wrong);
        e = assertThrows(ProtocolViolation.class, () -> wrong.writeInbound(
                body(Handshake.reply("test", 5, Status.ACCEPT, false, ""))));
        assertEquals("answered as sid 5, expected 1", e.getMessage());
        assertTrue(directory.calls.isEmpty());
    }
}
