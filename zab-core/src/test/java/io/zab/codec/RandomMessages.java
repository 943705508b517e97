package io.zab.codec;

import io.zab.Membership;
import io.zab.PeerId;
import io.zab.Role;
import io.zab.Zxid;
import io.zab.election.Vote;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Ack;
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
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.RequestRefused;
import io.zab.protocol.message.SyncReply;
import io.zab.protocol.message.SyncRequest;
import io.zab.protocol.message.Trunc;
import io.zab.protocol.message.UpToDate;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Seeded random messages of every type, biased towards boundary values. Test helper. */
public final class RandomMessages {
    /** Number of message types {@link #next(int)} knows; kept equal to Message's permits. */
    public static final int TYPES = 25;

    private final SplittableRandom random;
    private final int maxBytes;

    public RandomMessages(long seed, int maxBytes) {
        this.random = new SplittableRandom(seed);
        this.maxBytes = maxBytes;
    }

    public Message next() {
        return next(random.nextInt(TYPES));
    }

    /** A random message of type number {@code kind} (0 to TYPES - 1). */
    public Message next(int kind) {
        switch (kind) {
            case 0: return new FollowerInfo(epoch(), zxid(), random.nextBoolean());
            case 1: return new ObserverInfo(epoch(), zxid());
            case 2: return new LeaderInfo(epoch());
            case 3: return new AckEpoch(epoch(), epoch(), zxid());
            case 4: return new Diff(epoch(), zxid());
            case 5: return new Trunc(epoch(), zxid());
            case 6: return new Snap(epoch(), zxid(), random.nextLong(Long.MAX_VALUE),
                    random.nextInt(), random.nextBoolean() ? null : membership());
            case 7: return new NewLeader(epoch(), zxid(),
                    random.nextInt(4) == 0 ? null : membership());
            case 8: return new AckNewLeader(epoch(), zxid());
            case 9: return new UpToDate(epoch(), zxid());
            case 10: return new Proposal(txn(), random.nextBoolean() ? null : peer(), anyLong());
            case 11: return new Ack(zxid());
            case 12: return new Commit(zxid());
            case 13: return new Inform(txn(), random.nextBoolean() ? null : peer(), anyLong());
            case 14: return new Ping(epoch(), anyLong(), zxid());
            case 15: return new PingAck(epoch(), anyLong());
            case 16: return new Request(anyLong(), bytes(), random.nextInt(Integer.MAX_VALUE));
            case 17: return new SyncRequest(anyLong());
            case 18: return new SyncReply(anyLong(), zxid());
            case 19: return notification();
            case 20: return new RequestRefused(anyLong(),
                    RequestRefused.Reason.values()[random.nextInt(RequestRefused.Reason.values().length)]);
            case 21: return new io.zab.protocol.message.SnapChunk(epoch(), zxid(),
                    random.nextLong(Long.MAX_VALUE), bytes());
            case 22: return new io.zab.protocol.message.SnapAck(zxid(),
                    random.nextLong(Long.MAX_VALUE));
            case 23: return new io.zab.protocol.message.Takeover(epoch(), zxid(), peer());
            case 24: return new io.zab.protocol.message.ChangeRequest(anyLong(), membership(),
                    1 + random.nextInt(Integer.MAX_VALUE - 1));
            default: throw new IllegalArgumentException("kind " + kind);
        }
    }

    private long epoch() {
        switch (random.nextInt(4)) {
            case 0: return 0;
            case 1: return Zxid.MAX_PART;
            default: return random.nextLong(Zxid.MAX_PART + 1);
        }
    }

    private Zxid zxid() {
        switch (random.nextInt(4)) {
            case 0: return Zxid.ZERO;
            case 1: return Zxid.fromLong(-1L);
            default: return Zxid.fromLong(random.nextLong());
        }
    }

    private long anyLong() {
        switch (random.nextInt(4)) {
            case 0: return 0;
            case 1: return random.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
            default: return random.nextLong();
        }
    }

    private PeerId peer() {
        return new PeerId(random.nextBoolean() ? 1 + random.nextInt(9)
                : 1 + random.nextInt(Integer.MAX_VALUE - 1));
    }

    private Role role() {
        Role[] roles = Role.values();
        return roles[random.nextInt(roles.length)];
    }

    private byte[] bytes() {
        int n = random.nextInt(4) == 0 ? 0 : random.nextInt(maxBytes + 1);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    private Txn txn() {
        Zxid zxid = zxid();
        return random.nextInt(4) == 0 ? Txn.membershipChange(zxid, membership())
                : new Txn(zxid, bytes());
    }

    /** A membership of up to 5 voters and 2 observers, ids from a small range so they clash. */
    /** Without a version, with one, or with the membership of that version. */
    private Notification notification() {
        Vote v = new Vote(peer(), epoch(), zxid());
        long round = anyLong();
        Role state = role();
        boolean abstains = random.nextBoolean();
        switch (random.nextInt(3)) {
            case 0: return new Notification(v, round, state, abstains, Zxid.ZERO);
            case 1: return new Notification(v, round, state, abstains, nonZeroZxid());
            default:
                Membership m = membership().withVersion(nonZeroZxid());
                return new Notification(v, round, state, abstains, m.version(), m);
        }
    }

    private Zxid nonZeroZxid() {
        Zxid z = zxid();
        return z.equals(Zxid.ZERO) ? new Zxid(0, 1) : z;
    }

    private Membership membership() {
        Map<PeerId, String> voters = new TreeMap<>();
        Map<PeerId, String> observers = new TreeMap<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
            voters.put(new PeerId(1 + random.nextInt(9)), "h" + random.nextInt(100) + ":"
                    + random.nextInt(65536));
        }
        for (int i = random.nextInt(3); i > 0; i--) {
            PeerId o = new PeerId(10 + random.nextInt(5));
            observers.put(o, random.nextBoolean() ? "" : "o" + o.value() + ":2181");
        }
        return new Membership(zxid(), voters, observers);
    }
}
