package io.zab.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zab.PeerId;
import io.zab.Zxid;
import io.zab.election.StaticLeaderElection;
import io.zab.protocol.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A core under test and the test playing every other node: feed it one event, read back the
 * exact actions (ZooKeeper's Zab1_0Test without the sockets).
 */
final class Conversation {
    static final PeerId N1 = PeerId.of(1);
    static final PeerId N2 = PeerId.of(2);
    static final PeerId N3 = PeerId.of(3);
    static final PeerId N4 = PeerId.of(4);
    /** The membership of the default conversation's static config: what NEWLEADER carries. */
    static final io.zab.Membership MEMBERS = io.zab.Membership.of(Set.of(N1, N2, N3),
            Set.of(N4));

    /** NEWLEADER as a leader of the default membership sends it. */
    static io.zab.protocol.message.NewLeader newLeader(long epoch, io.zab.Zxid last) {
        return new io.zab.protocol.message.NewLeader(epoch, last, MEMBERS);
    }

    final ZabCore core;
    private long maxSeq;

    Conversation(PeerId self, PeerId leader, PersistentState state) {
        this(CoreConfig.of(self, Set.of(N1, N2, N3), Set.of(N4)), leader, state);
    }

    Conversation(CoreConfig config, PeerId leader, PersistentState state) {
        core = new ZabCore(config, state, new StaticLeaderElection(leader));
        drain();
    }

    static Zxid z(long epoch, long counter) {
        return new Zxid(epoch, counter);
    }

    static Txn txn(long epoch, long counter) {
        return new Txn(z(epoch, counter), ("t" + epoch + "." + counter)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** A log of txns (epoch, 1..n) for each {epoch, n} pair, in order. */
    static List<Txn> log(long[]... runs) {
        List<Txn> out = new ArrayList<>();
        for (long[] run : runs) {
            for (long c = 1; c <= run[1]; c++) {
                out.add(txn(run[0], c));
            }
        }
        return out;
    }

    static PersistentState state(long accepted, long current, List<Txn> log) {
        return new PersistentState(accepted, current, Zxid.ZERO, log);
    }

    List<Action> drain() {
        List<Action> out = core.drainActions();
        for (Action a : out) {
            if (a instanceof Action.StorageAction s) {
                maxSeq = Math.max(maxSeq, s.seq());
            }
        }
        return out;
    }

    List<Action> receive(PeerId from, Message m) {
        core.handle(new Event.Received(from, m));
        return drain();
    }

    List<Action> on(Event e) {
        core.handle(e);
        return drain();
    }

    /** Everything asked of storage so far became durable. */
    List<Action> persistAll() {
        return on(new Event.Persisted(maxSeq));
    }

    long lastSeq() {
        return maxSeq;
    }

    static Action send(PeerId to, Message m) {
        return new Action.Send(to, m);
    }

    /** The actions without their storage sequence numbers checked: kinds and payloads only. */
    static void assertActions(List<Action> actual, Action... expected) {
        assertEquals(List.of(expected), actual);
    }

    static List<Message> sent(List<Action> actions, PeerId to) {
        List<Message> out = new ArrayList<>();
        for (Action a : actions) {
            if (a instanceof Action.Send s && s.to().equals(to)) {
                out.add(s.message());
            }
        }
        return out;
    }

    /** True when the actions include a return to election. */
    static boolean steppedDown(List<Action> actions) {
        return actions.stream().anyMatch(a -> a instanceof Action.RoleChanged r
                && r.role() == io.zab.Role.LOOKING);
    }

    static <T> List<T> only(List<Action> actions, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Action a : actions) {
            if (type.isInstance(a)) {
                out.add(type.cast(a));
            }
        }
        return out;
    }
}
