package io.zab.codec;

import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.ChangeRequest;
import io.zab.protocol.message.AckEpoch;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.FollowerInfo;
import io.zab.protocol.message.Inform;
import io.zab.protocol.message.LeaderInfo;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.NewLeader;
import io.zab.protocol.message.Notification;
import io.zab.protocol.message.ObserverInfo;
import io.zab.protocol.message.Ping;
import io.zab.protocol.message.PingAck;
import io.zab.protocol.message.Proposal;
import io.zab.protocol.message.Request;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.SnapAck;
import io.zab.protocol.message.SnapChunk;
import io.zab.protocol.message.SyncReply;
import io.zab.protocol.message.SyncRequest;
import io.zab.protocol.message.Takeover;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The type byte of every message and the layout of its fields, one constant per message. Codes
 * are part of the wire format: never renumber one; add new messages with new codes.
 *
 * <p>Field encodings: epochs as unsigned 32 bits (an epoch is the high half of a zxid), zxids as
 * the 64-bit {@link Zxid#toLong} form, peer ids as positive 32-bit ints (0 for an absent origin),
 * rounds and request ids as 64 bits, byte arrays as a 32-bit length then the bytes, flags as one
 * byte whose undefined bits must be zero (NOTIFICATION and FOLLOWERINFO: {@link #ABSTAINS};
 * NOTIFICATION also {@link #VERSIONED}, which says an optional field follows).
 * A txn is its zxid, a kind byte ({@link #TXN_HOST} or {@link #TXN_MEMBERSHIP}, nothing else)
 * and its data as a byte array. A membership ({@link io.zab.Membership#encode()}) travels as a
 * byte array, empty for none.
 */
enum WireType {
    FOLLOWER_INFO(1, FollowerInfo.class, "FOLLOWERINFO") {
        int bodySize(Message m) {
            return EPOCH + ZXID + 1;
        }

        void write(Message m, ByteBuffer out) {
            FollowerInfo x = (FollowerInfo) m;
            putEpoch(out, x.acceptedEpoch(), "FOLLOWERINFO.acceptedEpoch");
            out.putLong(x.lastZxid().toLong());
            out.put(x.abstains() ? ABSTAINS : 0);
        }

        Message read(WireReader in) throws CodecException {
            long accepted = in.epoch("acceptedEpoch");
            Zxid last = in.zxid("lastZxid");
            return new FollowerInfo(accepted, last, abstains(in, "FOLLOWERINFO"));
        }
    },
    OBSERVER_INFO(2, ObserverInfo.class, "OBSERVERINFO") {
        int bodySize(Message m) {
            return EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            ObserverInfo x = (ObserverInfo) m;
            putEpoch(out, x.acceptedEpoch(), "OBSERVERINFO.acceptedEpoch");
            out.putLong(x.lastZxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new ObserverInfo(in.epoch("acceptedEpoch"), in.zxid("lastZxid"));
        }
    },
    LEADER_INFO(3, LeaderInfo.class, "LEADERINFO") {
        int bodySize(Message m) {
            return EPOCH;
        }

        void write(Message m, ByteBuffer out) {
            putEpoch(out, ((LeaderInfo) m).epoch(), "LEADERINFO.epoch");
        }

        Message read(WireReader in) throws CodecException {
            return new LeaderInfo(in.epoch("epoch"));
        }
    },
    ACK_EPOCH(4, AckEpoch.class, "ACKEPOCH") {
        int bodySize(Message m) {
            return EPOCH + EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            AckEpoch x = (AckEpoch) m;
            putEpoch(out, x.epoch(), "ACKEPOCH.epoch");
            putEpoch(out, x.currentEpoch(), "ACKEPOCH.currentEpoch");
            out.putLong(x.lastZxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new AckEpoch(in.epoch("epoch"), in.epoch("currentEpoch"),
                    in.zxid("lastZxid"));
        }
    },
    DIFF(5, Diff.class, "DIFF") {
        int bodySize(Message m) {
            return EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            Diff x = (Diff) m;
            putEpoch(out, x.epoch(), "DIFF.epoch");
            out.putLong(x.leaderLastZxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new Diff(in.epoch("epoch"), in.zxid("leaderLastZxid"));
        }
    },
    TRUNC(6, Trunc.class, "TRUNC") {
        int bodySize(Message m) {
            return EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            Trunc x = (Trunc) m;
            putEpoch(out, x.epoch(), "TRUNC.epoch");
            out.putLong(x.truncZxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new Trunc(in.epoch("epoch"), in.zxid("truncZxid"));
        }
    },
    SNAP(7, Snap.class, "SNAP") {
        int bodySize(Message m) {
            return sum(EPOCH + ZXID + LONG + INT,
                    bytesSize(membershipBytes(((Snap) m).membership())));
        }

        void write(Message m, ByteBuffer out) {
            Snap x = (Snap) m;
            putEpoch(out, x.epoch(), "SNAP.epoch");
            out.putLong(x.zxid().toLong());
            out.putLong(x.size());
            out.putInt(x.crc());
            putBytes(out, membershipBytes(x.membership()));
        }

        Message read(WireReader in) throws CodecException {
            long epoch = in.epoch("epoch");
            Zxid zxid = in.zxid("zxid");
            long size = in.i64("size");
            if (size < 0) {
                throw in.error("negative size " + size);
            }
            int crc = in.i32("crc");
            int at = in.offset();
            byte[] m = in.bytes("membership");
            return new Snap(epoch, zxid, size, crc, m.length == 0 ? null : membership(in, m, at));
        }
    },
    NEW_LEADER(8, NewLeader.class, "NEWLEADER") {
        int bodySize(Message m) {
            return sum(EPOCH + ZXID, bytesSize(membershipBytes(((NewLeader) m).membership())));
        }

        void write(Message m, ByteBuffer out) {
            NewLeader x = (NewLeader) m;
            putEpoch(out, x.epoch(), "NEWLEADER.epoch");
            out.putLong(x.lastZxid().toLong());
            putBytes(out, membershipBytes(x.membership()));
        }

        Message read(WireReader in) throws CodecException {
            long epoch = in.epoch("epoch");
            Zxid last = in.zxid("lastZxid");
            int at = in.offset();
            byte[] m = in.bytes("membership");
            return new NewLeader(epoch, last, m.length == 0 ? null : membership(in, m, at));
        }
    },
    ACK_NEW_LEADER(9, AckNewLeader.class, "ACKNEWLEADER") {
        int bodySize(Message m) {
            return EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            AckNewLeader x = (AckNewLeader) m;
            putEpoch(out, x.epoch(), "ACKNEWLEADER.epoch");
            out.putLong(x.zxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new AckNewLeader(in.epoch("epoch"), in.zxid("zxid"));
        }
    },
    UP_TO_DATE(10, UpToDate.class, "UPTODATE") {
        int bodySize(Message m) {
            return EPOCH + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            UpToDate x = (UpToDate) m;
            putEpoch(out, x.epoch(), "UPTODATE.epoch");
            out.putLong(x.committedZxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new UpToDate(in.epoch("epoch"), in.zxid("committedZxid"));
        }
    },
    PROPOSAL(11, Proposal.class, "PROPOSAL") {
        int bodySize(Message m) {
            return sum(txnSize(((Proposal) m).txn()), PEER + LONG);
        }

        void write(Message m, ByteBuffer out) {
            Proposal x = (Proposal) m;
            putTxn(out, x.txn());
            out.putInt(x.origin() == null ? 0 : x.origin().value());
            out.putLong(x.requestId());
        }

        Message read(WireReader in) throws CodecException {
            Txn txn = readTxn(in);
            return new Proposal(txn, in.optionalPeer("origin"), in.i64("requestId"));
        }
    },
    ACK(12, Ack.class, "ACK") {
        int bodySize(Message m) {
            return ZXID;
        }

        void write(Message m, ByteBuffer out) {
            out.putLong(((Ack) m).zxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new Ack(in.zxid("zxid"));
        }
    },
    COMMIT(13, Commit.class, "COMMIT") {
        int bodySize(Message m) {
            return ZXID;
        }

        void write(Message m, ByteBuffer out) {
            out.putLong(((Commit) m).zxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new Commit(in.zxid("zxid"));
        }
    },
    INFORM(14, Inform.class, "INFORM") {
        int bodySize(Message m) {
            return sum(txnSize(((Inform) m).txn()), PEER + LONG);
        }

        void write(Message m, ByteBuffer out) {
            Inform x = (Inform) m;
            putTxn(out, x.txn());
            out.putInt(x.origin() == null ? 0 : x.origin().value());
            out.putLong(x.requestId());
        }

        Message read(WireReader in) throws CodecException {
            Txn txn = readTxn(in);
            return new Inform(txn, in.optionalPeer("origin"), in.i64("requestId"));
        }
    },
    PING(15, Ping.class, "PING") {
        int bodySize(Message m) {
            return EPOCH + LONG + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            Ping x = (Ping) m;
            putEpoch(out, x.epoch(), "PING.epoch");
            out.putLong(x.round());
            out.putLong(x.committed().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new Ping(in.epoch("epoch"), in.i64("round"), in.zxid("committed"));
        }
    },
    PING_ACK(16, PingAck.class, "PINGACK") {
        int bodySize(Message m) {
            return EPOCH + LONG;
        }

        void write(Message m, ByteBuffer out) {
            PingAck x = (PingAck) m;
            putEpoch(out, x.epoch(), "PINGACK.epoch");
            out.putLong(x.round());
        }

        Message read(WireReader in) throws CodecException {
            return new PingAck(in.epoch("epoch"), in.i64("round"));
        }
    },
    REQUEST(17, Request.class, "REQUEST") {
        int bodySize(Message m) {
            return sum(LONG + INT, bytesSize(((Request) m).payload()));
        }

        void write(Message m, ByteBuffer out) {
            Request x = (Request) m;
            out.putLong(x.requestId());
            out.putInt(x.waitTicks());
            putBytes(out, x.payload());
        }

        Message read(WireReader in) throws CodecException {
            long id = in.i64("requestId");
            int wait = in.i32("waitTicks");
            if (wait < 0) {
                throw in.error("negative waitTicks " + wait);
            }
            return new Request(id, in.bytes("payload"), wait);
        }
    },
    SNAP_CHUNK(22, SnapChunk.class, "SNAPCHUNK") {
        int bodySize(Message m) {
            return sum(EPOCH + ZXID + LONG, bytesSize(((SnapChunk) m).data()));
        }

        void write(Message m, ByteBuffer out) {
            SnapChunk x = (SnapChunk) m;
            putEpoch(out, x.epoch(), "SNAPCHUNK.epoch");
            out.putLong(x.zxid().toLong());
            out.putLong(x.offset());
            putBytes(out, x.data());
        }

        Message read(WireReader in) throws CodecException {
            long epoch = in.epoch("epoch");
            Zxid zxid = in.zxid("zxid");
            long offset = in.i64("offset");
            if (offset < 0) {
                throw in.error("negative offset " + offset);
            }
            return new SnapChunk(epoch, zxid, offset, in.bytes("data"));
        }
    },
    SNAP_ACK(23, SnapAck.class, "SNAPACK") {
        int bodySize(Message m) {
            return ZXID + LONG;
        }

        void write(Message m, ByteBuffer out) {
            SnapAck x = (SnapAck) m;
            out.putLong(x.zxid().toLong());
            out.putLong(x.offset());
        }

        Message read(WireReader in) throws CodecException {
            Zxid zxid = in.zxid("zxid");
            long offset = in.i64("offset");
            if (offset < 0) {
                throw in.error("negative offset " + offset);
            }
            return new SnapAck(zxid, offset);
        }
    },
    REQUEST_REFUSED(21, RequestRefused.class, "REQUESTREFUSED") {
        int bodySize(Message m) {
            return LONG + 1;
        }

        void write(Message m, ByteBuffer out) {
            RequestRefused x = (RequestRefused) m;
            out.putLong(x.requestId());
            out.put(x.reason().code);
        }

        Message read(WireReader in) throws CodecException {
            long id = in.i64("requestId");
            byte code = in.u8("reason");
            RequestRefused.Reason reason = RequestRefused.Reason.of(code);
            if (reason == null) {
                throw in.error("unknown reason code " + (code & 0xFF));
            }
            return new RequestRefused(id, reason);
        }
    },
    SYNC_REQUEST(18, SyncRequest.class, "SYNC") {
        int bodySize(Message m) {
            return LONG;
        }

        void write(Message m, ByteBuffer out) {
            out.putLong(((SyncRequest) m).requestId());
        }

        Message read(WireReader in) throws CodecException {
            return new SyncRequest(in.i64("requestId"));
        }
    },
    SYNC_REPLY(19, SyncReply.class, "SYNCREPLY") {
        int bodySize(Message m) {
            return LONG + ZXID;
        }

        void write(Message m, ByteBuffer out) {
            SyncReply x = (SyncReply) m;
            out.putLong(x.requestId());
            out.putLong(x.zxid().toLong());
        }

        Message read(WireReader in) throws CodecException {
            return new SyncReply(in.i64("requestId"), in.zxid("zxid"));
        }
    },
    NOTIFICATION(20, Notification.class, "NOTIFICATION") {
        int bodySize(Message m) {
            Notification x = (Notification) m;
            boolean versioned = !x.membershipVersion().equals(Zxid.ZERO);
            return sum(PEER + EPOCH + ZXID + LONG + 1 + 1 + (versioned ? ZXID : 0),
                    x.membership() == null ? 0 : bytesSize(x.membership().encode()));
        }

        void write(Message m, ByteBuffer out) {
            Notification x = (Notification) m;
            Vote v = x.vote();
            out.putInt(v.leader().value());
            putEpoch(out, v.epoch(), "NOTIFICATION.vote.epoch");
            out.putLong(v.zxid().toLong());
            out.putLong(x.round());
            out.put(roleCode(x.state()));
            boolean versioned = !x.membershipVersion().equals(Zxid.ZERO);
            boolean members = x.membership() != null;
            out.put((byte) ((x.abstains() ? ABSTAINS : 0) | (versioned ? VERSIONED : 0)
                    | (members ? MEMBERS : 0)));
            if (versioned) {
                out.putLong(x.membershipVersion().toLong());
            }
            if (members) {
                putBytes(out, x.membership().encode());
            }
        }

        Message read(WireReader in) throws CodecException {
            Vote vote = new Vote(in.peer("vote.leader"), in.epoch("vote.epoch"),
                    in.zxid("vote.zxid"));
            long round = in.i64("round");
            Role state = in.role("state");
            byte flags = in.u8("flags");
            if ((flags & ~(ABSTAINS | VERSIONED | MEMBERS)) != 0) {
                throw new CodecException("NOTIFICATION.flags: unknown bits in "
                        + Integer.toHexString(flags & 0xFF));
            }
            Zxid version = Zxid.ZERO;
            if ((flags & VERSIONED) != 0) {
                int at = in.offset();
                version = in.zxid("membershipVersion");
                if (version.equals(Zxid.ZERO)) { // one encoding per notification
                    throw new CodecException("NOTIFICATION.membershipVersion: flagged but zero"
                            + " at offset " + at);
                }
            }
            io.zab.Membership members = null;
            if ((flags & MEMBERS) != 0) {
                int at = in.offset();
                if ((flags & VERSIONED) == 0) {
                    throw new CodecException("NOTIFICATION.flags: a membership without its"
                            + " version at offset " + at);
                }
                byte[] bytes = in.bytes("membership");
                try {
                    members = io.zab.Membership.decode(bytes);
                } catch (IllegalArgumentException e) {
                    throw new CodecException("NOTIFICATION.membership: " + e.getMessage()
                            + " at offset " + at);
                }
                if (!members.version().equals(version)) {
                    throw new CodecException("NOTIFICATION.membership: version "
                            + members.version() + " is not the notification's " + version
                            + " at offset " + at);
                }
            }
            return new Notification(vote, round, state, (flags & ABSTAINS) != 0, version,
                    members);
        }
    },
    TAKEOVER(24, Takeover.class, "TAKEOVER") {
        int bodySize(Message m) {
            return EPOCH + ZXID + PEER;
        }

        void write(Message m, ByteBuffer out) {
            Takeover x = (Takeover) m;
            putEpoch(out, x.epoch(), "TAKEOVER.epoch");
            out.putLong(x.zxid().toLong());
            out.putInt(x.target().value());
        }

        Message read(WireReader in) throws CodecException {
            return new Takeover(in.epoch("epoch"), in.zxid("zxid"), in.peer("target"));
        }
    },
    CHANGE_REQUEST(25, ChangeRequest.class, "CHANGEREQUEST") {
        int bodySize(Message m) {
            return sum(LONG + INT, bytesSize(((ChangeRequest) m).target().encode()));
        }

        void write(Message m, ByteBuffer out) {
            ChangeRequest x = (ChangeRequest) m;
            out.putLong(x.requestId());
            out.putInt(x.timeoutTicks());
            putBytes(out, x.target().encode());
        }

        Message read(WireReader in) throws CodecException {
            long id = in.i64("requestId");
            int timeout = in.i32("timeoutTicks");
            if (timeout < 1) {
                throw in.error("timeoutTicks " + timeout + " below 1");
            }
            byte[] target = in.bytes("target");
            try {
                return new ChangeRequest(id, io.zab.Membership.decode(target), timeout);
            } catch (IllegalArgumentException e) {
                throw in.error("target: " + e.getMessage());
            }
        }
    };

    /** Flag bit of NOTIFICATION and FOLLOWERINFO: the sender may not vote yet. */
    static final byte ABSTAINS = 1;
    /** The kind byte of a txn: the host's data, or a membership change. */
    static final byte TXN_HOST = 0;
    static final byte TXN_MEMBERSHIP = 1;
    /**
     * Flag bit of NOTIFICATION: a membership version (a zxid) follows the flags. Absent, the
     * version is {@link Zxid#ZERO}: the configured membership's, and the bytes are those of a
     * node from before membership changes, so the two still understand each other.
     */
    static final byte VERSIONED = 2;
    /** Flag bit of NOTIFICATION: the membership of that version follows, as a byte array. */
    static final byte MEMBERS = 4;

    /** The flags byte: only {@link #ABSTAINS} is defined; other bits are a corrupt frame. */
    private static boolean abstains(WireReader in, String type) throws CodecException {
        byte flags = in.u8("flags");
        if ((flags & ~ABSTAINS) != 0) {
            throw new CodecException(type + ".flags: unknown bits in "
                    + Integer.toHexString(flags & 0xFF));
        }
        return flags != 0;
    }
    static final int EPOCH = 4;
    static final int ZXID = 8;
    static final int LONG = 8;
    static final int INT = 4;
    static final int PEER = 4;
    static final int LENGTH = 4;

    private static final Map<Byte, WireType> BY_CODE;
    private static final Map<Class<?>, WireType> BY_CLASS;

    static {
        Map<Byte, WireType> byCode = new HashMap<>();
        Map<Class<?>, WireType> byClass = new HashMap<>();
        for (WireType t : values()) {
            if (byCode.put(t.code, t) != null) {
                throw new IllegalStateException("duplicate wire code " + t.code);
            }
            byClass.put(t.type, t);
        }
        BY_CODE = Map.copyOf(byCode);
        BY_CLASS = Map.copyOf(byClass);
    }

    final byte code;
    final Class<? extends Message> type;
    /** The protocol's name for the message (ZooKeeper's packet names), used in error texts. */
    final String wireName;

    WireType(int code, Class<? extends Message> type, String wireName) {
        this.code = (byte) code;
        this.type = type;
        this.wireName = wireName;
    }

    /** Size of the fields after the header. */
    abstract int bodySize(Message m);

    abstract void write(Message m, ByteBuffer out);

    abstract Message read(WireReader in) throws CodecException;

    static WireType of(Message m) {
        WireType t = BY_CLASS.get(m.getClass());
        if (t == null) {
            throw new IllegalArgumentException("no wire type for " + m.getClass().getName());
        }
        return t;
    }

    /** The type for a code, or null for an unknown one. */
    static WireType ofCode(byte code) {
        return BY_CODE.get(code);
    }

    static byte roleCode(Role role) {
        switch (role) {
            case LOOKING:
                return 0;
            case FOLLOWING:
                return 1;
            case LEADING:
                return 2;
            case OBSERVING:
                return 3;
            default:
                throw new IllegalArgumentException("no wire code for role " + role);
        }
    }

    /** The role for a code, or null for an unknown one. */
    static Role roleOf(byte code) {
        switch (code) {
            case 0:
                return Role.LOOKING;
            case 1:
                return Role.FOLLOWING;
            case 2:
                return Role.LEADING;
            case 3:
                return Role.OBSERVING;
            default:
                return null;
        }
    }

    static int txnSize(Txn txn) {
        return sum(ZXID + 1, bytesSize(txn.data()));
    }

    static void putTxn(ByteBuffer out, Txn txn) {
        out.putLong(txn.zxid().toLong());
        out.put(txn.membership() ? TXN_MEMBERSHIP : TXN_HOST);
        putBytes(out, txn.data());
    }

    /**
     * Reads a txn. A membership txn's data must be a membership whose version is the txn's
     * zxid: the core decodes it when the txn commits, long after any bad peer could be blamed.
     */
    static Txn readTxn(WireReader in) throws CodecException {
        Zxid zxid = in.zxid("txn.zxid");
        int kindAt = in.offset();
        byte kind = in.u8("txn.kind");
        if (kind != TXN_HOST && kind != TXN_MEMBERSHIP) {
            throw in.error("unknown txn.kind " + kind, kindAt);
        }
        int dataAt = in.offset();
        byte[] data = in.bytes("txn.data");
        if (kind == TXN_MEMBERSHIP) {
            io.zab.Membership m = membership(in, data, dataAt);
            if (!m.version().equals(zxid)) {
                throw in.error("membership version " + m.version() + " is not txn.zxid "
                        + zxid, dataAt);
            }
        }
        return new Txn(zxid, data, kind == TXN_MEMBERSHIP);
    }

    /** The bytes that stand for {@code m} on the wire: none for null. */
    private static byte[] membershipBytes(io.zab.Membership m) {
        return m == null ? new byte[0] : m.encode();
    }

    /**
     * Decodes a membership read at {@code at}, its faults named as codec errors. Only the one
     * encoding of a membership is taken (members in id order, valid UTF-8), so that every
     * message has exactly one encoding.
     */
    private static io.zab.Membership membership(WireReader in, byte[] bytes, int at)
            throws CodecException {
        io.zab.Membership m;
        try {
            m = io.zab.Membership.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw in.error("bad membership (" + e.getMessage() + ")", at);
        }
        if (!java.util.Arrays.equals(m.encode(), bytes)) {
            throw in.error("membership not in its canonical encoding", at);
        }
        return m;
    }

    private static int bytesSize(byte[] bytes) {
        return sum(LENGTH, bytes.length);
    }

    private static void putBytes(ByteBuffer out, byte[] bytes) {
        out.putInt(bytes.length);
        out.put(bytes);
    }

    /** Epochs are 32-bit (the high half of a zxid); anything else is a bug in the sender. */
    private static void putEpoch(ByteBuffer out, long epoch, String field) {
        if (epoch < 0 || epoch > Zxid.MAX_PART) {
            throw new IllegalArgumentException(field + " out of 32-bit range: " + epoch);
        }
        out.putInt((int) epoch);
    }

    static int sum(int a, int b) {
        long s = (long) a + b;
        if (s > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("message too large to encode: " + s + " bytes");
        }
        return (int) s;
    }
}
