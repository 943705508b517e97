package io.zab.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Notification;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.Snap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageCodecTest {

    @Test
    void generatorCoversEveryMessageType() {
        Set<Class<?>> seen = new HashSet<>();
        RandomMessages gen = new RandomMessages(1, 8);
        for (int kind = 0; kind < RandomMessages.TYPES; kind++) {
            seen.add(gen.next(kind).getClass());
        }
        assertEquals(Set.of(Message.class.getPermittedSubclasses()), seen);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 7_777})
    void everyTypeRoundTrips(long seed) throws CodecException {
        RandomMessages gen = new RandomMessages(seed, 300);
        for (int i = 0; i < 2_000; i++) {
            Message m = gen.next(i % RandomMessages.TYPES);
            byte[] bytes = MessageCodec.encode(m);
            assertEquals(MessageCodec.encodedSize(m), bytes.length, m.toString());
            Message back = MessageCodec.decode(bytes);
            assertSame(m, back);
            assertArrayEquals(bytes, MessageCodec.encode(back), m.toString());
        }
    }

    /** Records holding arrays compare them by identity; compare those by content instead. */
    static void assertSame(Message expected, Message actual) {
        assertEquals(expected.getClass(), actual.getClass());
        if (expected instanceof Request r) {
            Request a = (Request) actual;
            assertEquals(r.requestId(), a.requestId());
            assertEquals(r.waitTicks(), a.waitTicks());
            assertArrayEquals(r.payload(), a.payload());
        } else if (expected instanceof io.zab.protocol.message.SnapChunk s) {
            io.zab.protocol.message.SnapChunk a = (io.zab.protocol.message.SnapChunk) actual;
            assertEquals(s.epoch(), a.epoch());
            assertEquals(s.zxid(), a.zxid());
            assertEquals(s.offset(), a.offset());
            assertArrayEquals(s.data(), a.data());
        } else {
            assertEquals(expected, actual);
        }
    }

    @Test
    void encodesIntoCallerBufferAtItsPositionAndKeepsItsByteOrder() throws CodecException {
        Message m = new Commit(new Zxid(3, 9));
        ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(5);
        MessageCodec.encode(m, buf);
        assertEquals(5 + MessageCodec.encodedSize(m), buf.position());
        assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
        buf.flip().position(5);
        assertEquals(m, MessageCodec.decode(buf));
        assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
    }

    @Test
    void tooSmallBufferIsRefusedWithoutWriting() {
        ByteBuffer buf = ByteBuffer.allocate(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MessageCodec.encode(new Commit(Zxid.ZERO), buf));
        assertEquals("COMMIT needs 10 bytes, buffer has 5", e.getMessage());
        assertEquals(0, buf.position());
    }

    @Test
    void epochBeyond32BitsIsABugOfTheSender() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MessageCodec.encode(new LeaderInfo(1L << 32)));
        assertEquals("LEADERINFO.epoch out of 32-bit range: 4294967296", e.getMessage());
    }

    @Test
    void layoutIsBigEndianVersionTypeFields() {
        byte[] bytes = MessageCodec.encode(new Commit(new Zxid(1, 2)));
        assertArrayEquals(new byte[] {4, 13, 0, 0, 0, 1, 0, 0, 0, 2}, bytes);
    }

    @Test
    void proposalWithoutOriginKeepsNull() throws CodecException {
        Proposal p = new Proposal(new Txn(new Zxid(1, 1), new byte[] {9}), null, 7);
        Proposal back = (Proposal) MessageCodec.decode(MessageCodec.encode(p));
        assertNull(back.origin());
        assertEquals(p, back);
    }

    @Test
    void txnRoundTripsOnItsOwn() throws CodecException {
        Txn txn = new Txn(new Zxid(5, 6), new byte[] {1, 2, 3});
        ByteBuffer buf = ByteBuffer.allocate(MessageCodec.encodedTxnSize(txn));
        MessageCodec.encodeTxn(txn, buf);
        assertEquals(8 + 1 + 4 + 3, buf.position());
        assertEquals(0, buf.get(8), "kind: a host txn");
        assertEquals(txn, MessageCodec.decodeTxn(buf.flip()));
    }

    private static Membership members(Zxid version) {
        return new Membership(version, Map.of(PeerId.of(1), "a:1", PeerId.of(2), "b:2",
                PeerId.of(3), "c:3"), Map.of(PeerId.of(7), "o:7"));
    }

    @Test
    void membershipTxnsRoundTripInProposalAndInform() throws CodecException {
        Txn change = Txn.membershipChange(new Zxid(4, 2), members(Zxid.ZERO));
        Txn host = new Txn(new Zxid(4, 3), change.data());
        for (Message m : List.of(new Proposal(change, PeerId.of(2), 9),
                new Inform(change, null, 0), new Proposal(host, null, 0))) {
            byte[] bytes = MessageCodec.encode(m);
            assertEquals(MessageCodec.encodedSize(m), bytes.length);
            Txn t = m instanceof Proposal p ? p.txn() : ((Inform) m).txn();
            assertEquals(t.membership() ? 1 : 0, bytes[2 + 8], "kind byte after the zxid");
            Message back = MessageCodec.decode(bytes);
            assertEquals(m, back);
        }
        Proposal back = (Proposal) MessageCodec.decode(MessageCodec.encode(
                new Proposal(change, null, 0)));
        assertTrue(back.txn().membership());
        assertEquals(members(new Zxid(4, 2)), back.txn().newMembership());
    }

    @Test
    void anUnknownTxnKindIsRefused() {
        byte[] p = MessageCodec.encode(new Proposal(new Txn(new Zxid(1, 1), new byte[3]), null,
                1));
        p[2 + 8] = 2;
        assertError("unknown txn.kind 2 in PROPOSAL at offset 10", p);
        byte[] i = MessageCodec.encode(new Inform(new Txn(new Zxid(1, 1), new byte[3]), null,
                1));
        i[2 + 8] = -1;
        assertError("unknown txn.kind -1 in INFORM at offset 10", i);
        ByteBuffer alone = ByteBuffer.allocate(8 + 1 + 4).putLong(5).put((byte) 7).putInt(0);
        CodecException e = assertThrows(CodecException.class,
                () -> MessageCodec.decodeTxn(alone.flip()));
        assertEquals("unknown txn.kind 7 in txn at offset 8", e.getMessage());
    }

    @Test
    void aMembershipTxnMustCarryAMembershipOfItsOwnZxid() {
        byte[] p = MessageCodec.encode(new Proposal(new Txn(new Zxid(1, 1), new byte[3], true),
                null, 1));
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(p));
        assertTrue(e.getMessage().startsWith("bad membership (")
                && e.getMessage().endsWith(") in PROPOSAL at offset 11"), e.getMessage());
        Txn other = new Txn(new Zxid(1, 1), members(new Zxid(1, 2)).encode(), true);
        assertError("membership version " + new Zxid(1, 2) + " is not txn.zxid "
                + new Zxid(1, 1) + " in PROPOSAL at offset 11",
                MessageCodec.encode(new Proposal(other, null, 1)));
    }

    @Test
    void newLeaderCarriesTheMembership() throws CodecException {
        NewLeader with = new NewLeader(3, new Zxid(3, 7), members(new Zxid(2, 5)));
        byte[] bytes = MessageCodec.encode(with);
        assertEquals(2 + 4 + 8 + 4 + with.membership().encode().length, bytes.length);
        assertEquals(with, MessageCodec.decode(bytes));
        NewLeader without = new NewLeader(3, new Zxid(3, 7));
        assertArrayEquals(new byte[] {4, 8, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0},
                MessageCodec.encode(without), "none is an empty membership");
        assertEquals(without, MessageCodec.decode(MessageCodec.encode(without)));
    }

    @Test
    void aBadMembershipInNewLeaderIsACodecError() {
        byte[] bytes = MessageCodec.encode(new NewLeader(3, new Zxid(3, 7),
                members(new Zxid(2, 5))));
        byte[] format = bytes.clone();
        format[2 + 4 + 8 + 4] = 9;
        assertError("bad membership (unknown membership format 9) in NEWLEADER at offset 14",
                format);
        byte[] cut = MessageCodec.encode(new NewLeader(3, new Zxid(3, 7),
                members(new Zxid(2, 5))));
        ByteBuffer.wrap(cut).putInt(2 + 4 + 8, 12);
        assertError("bad membership (membership cut short at byte 11) in NEWLEADER at offset"
                + " 14", Arrays.copyOf(cut, 2 + 4 + 8 + 4 + 12));
        // Voters 1 and 2 swapped: a valid membership, but not its one encoding.
        byte[] order = bytes.clone();
        int first = 2 + 4 + 8 + 4 + 1 + 8 + 2 + 2;
        ByteBuffer b = ByteBuffer.wrap(order);
        b.putInt(first, 2).putInt(first + 4 + 2 + 3, 1);
        assertError("bad membership (member id 1 is not positive and above the one before (2))"
                + " in NEWLEADER at offset 14", order);
    }

    @Test
    void txnMessagesOfTheLargestTxnAndMembershipFitTxnMessageBytes() {
        Map<PeerId, String> all = new TreeMap<>();
        for (int id = 1; id <= Membership.MAX_MEMBERS; id++) {
            all.put(PeerId.of(id), "x".repeat(Membership.MAX_ADDRESS_BYTES));
        }
        Membership largest = new Membership(Zxid.ZERO, all, Map.of());
        Txn change = Txn.membershipChange(new Zxid(9, 9), largest);
        int limit = MessageCodec.txnMessageBytes(100);
        assertEquals(limit, MessageCodec.encodedSize(new Proposal(change, PeerId.of(1), 1)),
                "the largest membership's PROPOSAL is the largest message for small txns");
        assertTrue(MessageCodec.encodedSize(new Inform(change, PeerId.of(1), 1)) <= limit);
        assertTrue(MessageCodec.encodedSize(new NewLeader(1, Zxid.ZERO, largest)) <= limit);
        int big = 1 << 20;
        Txn host = new Txn(new Zxid(1, 1), new byte[big]);
        assertEquals(MessageCodec.txnMessageBytes(big),
                MessageCodec.encodedSize(new Proposal(host, PeerId.of(1), 1)));
    }

    @Test
    void unknownType() {
        assertError("unknown message type 0x7f at offset 1", new byte[] {4, 0x7f, 0, 0});
        assertError("unknown message type 0x0 at offset 1", new byte[] {4, 0});
    }

    @Test
    void unknownVersion() {
        assertError("unsupported codec version 5 (this reader knows 4)", new byte[] {5, 13});
        assertError("unsupported codec version 3 (this reader knows 4)", new byte[] {3, 13});
    }

    @Test
    void emptyInput() {
        assertError("truncated message: field version needs 1 bytes at offset 0, only 0 left",
                new byte[0]);
    }

    @Test
    void truncatedField() {
        byte[] bytes = MessageCodec.encode(new Commit(new Zxid(1, 2)));
        assertError("truncated COMMIT: field zxid needs 8 bytes at offset 2, only 7 left",
                Arrays.copyOf(bytes, bytes.length - 1));
    }

    @Test
    void trailingBytes() {
        byte[] bytes = MessageCodec.encode(new Commit(new Zxid(1, 2)));
        assertError("2 trailing bytes after COMMIT at offset 10",
                Arrays.copyOf(bytes, bytes.length + 2));
    }

    @Test
    void lengthBeyondInputIsRefusedBeforeAllocating() {
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + 4 + 4 + 4);
        b.put(MessageCodec.VERSION).put((byte) 17).putLong(5).putInt(0).putInt(Integer.MAX_VALUE).putInt(0);
        assertError("length 2147483647 out of range in REQUEST.payload at offset 14"
                + " (4 bytes left)", b.array());
        b.putInt(14, -1);
        assertError("length 4294967295 out of range in REQUEST.payload at offset 14"
                + " (4 bytes left)", b.array());
        b.putInt(10, -3);
        assertError("negative waitTicks -3 in REQUEST at offset 14", b.array());
    }

    @Test
    void badRoleCode() {
        byte[] bytes = MessageCodec.encode(new Notification(
                new Vote(PeerId.of(1), 1, Zxid.ZERO), 1, Role.LEADING));
        bytes[bytes.length - 2] = 9;
        assertError("bad enum code 9 for Role in NOTIFICATION.state at offset 26", bytes);
    }

    @Test
    void notificationFlags() throws CodecException {
        Notification abstaining = new Notification(new Vote(PeerId.of(2), 0, Zxid.ZERO), 3,
                Role.LOOKING, true);
        byte[] bytes = MessageCodec.encode(abstaining);
        assertEquals(1, bytes[bytes.length - 1]);
        assertEquals(abstaining, MessageCodec.decode(bytes));
        bytes[bytes.length - 1] = 9;
        assertError("NOTIFICATION.flags: unknown bits in 9", bytes);
    }

    @Test
    void aNotificationMayCarryTheMembershipOfItsVersion() throws CodecException {
        Vote v = new Vote(PeerId.of(2), 4, new Zxid(4, 7));
        io.zab.Membership m = new io.zab.Membership(new Zxid(5, 2),
                java.util.Map.of(PeerId.of(1), "127.0.0.1:1", PeerId.of(4), "127.0.0.4:4"),
                java.util.Map.of());
        Notification n = new Notification(v, 3, Role.FOLLOWING, false, m.version(), m);
        byte[] bytes = MessageCodec.encode(n);
        assertEquals(n, MessageCodec.decode(bytes));
        int flags = MessageCodec.encode(new Notification(v, 3, Role.LOOKING, true)).length - 1;
        assertEquals(2 | 4, bytes[flags]);
        bytes[flags] = 4; // the membership without its version
        assertThrows(CodecException.class, () -> MessageCodec.decode(bytes));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Notification(v, 3, Role.FOLLOWING, false, new Zxid(5, 3), m));
    }

    @Test
    void aMembershipVersionFollowsTheFlagsOnlyWhenItIsNotZero() throws CodecException {
        Vote v = new Vote(PeerId.of(2), 4, new Zxid(4, 7));
        byte[] plain = MessageCodec.encode(new Notification(v, 3, Role.LOOKING, true));
        // The configured membership's notification is byte for byte the one of a node from
        // before membership changes, so the two still understand each other.
        byte[] zero = MessageCodec.encode(new Notification(v, 3, Role.LOOKING, true, Zxid.ZERO));
        assertArrayEquals(plain, zero);
        Notification versioned = new Notification(v, 3, Role.FOLLOWING, false, new Zxid(5, 2));
        byte[] bytes = MessageCodec.encode(versioned);
        assertEquals(plain.length + 8, bytes.length);
        assertEquals(2, bytes[plain.length - 1]);
        assertEquals(new Zxid(5, 2).toLong(), ByteBuffer.wrap(bytes).getLong(plain.length));
        assertEquals(versioned, MessageCodec.decode(bytes));

        assertError("truncated NOTIFICATION: field membershipVersion needs 8 bytes at offset 28,"
                + " only 4 left", Arrays.copyOf(bytes, bytes.length - 4));
        ByteBuffer.wrap(bytes).putLong(plain.length, 0);
        assertError("NOTIFICATION.membershipVersion: flagged but zero at offset 28", bytes);
        byte[] trailing = Arrays.copyOf(plain, plain.length + 8); // a version without its flag
        assertError("8 trailing bytes after NOTIFICATION at offset 28", trailing);
    }

    @Test
    void invalidPeerIds() {
        byte[] bytes = MessageCodec.encode(new Notification(
                new Vote(PeerId.of(1), 1, Zxid.ZERO), 1, Role.LEADING));
        ByteBuffer.wrap(bytes).putInt(2, 0);
        assertError("invalid peer id 0 in NOTIFICATION.vote.leader at offset 2", bytes);
        byte[] p = MessageCodec.encode(new Proposal(new Txn(Zxid.ZERO, new byte[0]), null, 1));
        ByteBuffer.wrap(p).putInt(2 + 8 + 1 + 4, -5);
        assertError("invalid peer id -5 in PROPOSAL.origin at offset 15", p);
    }

    @Test
    void typeNames() {
        assertEquals("SNAP", MessageCodec.typeName(MessageCodec.SNAP_TYPE));
        assertNull(MessageCodec.typeName((byte) 99));
        assertTrue(MessageCodec.encode(new Snap(1, Zxid.ZERO, 0, 0))[MessageCodec
                .TYPE_OFFSET] == MessageCodec.SNAP_TYPE);
    }

    private static void assertError(String expected, byte[] bytes) {
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(bytes));
        assertEquals(expected, e.getMessage());
    }
}
