package io.zab.protocol;

import io.zab.PeerId;
import io.zab.Zxid;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which learner forwarded each txn still to be streamed with its origin (a PROPOSAL or INFORM
 * names it, so the learner that forwarded the request binds it to the txn), and how many of
 * them each learner forwarded. The leader's own requests are bound by the core, never here.
 * Single-threaded: the leader's, on the protocol thread.
 */
final class Origins {
    /** Who asked for a txn a learner forwarded, kept until that learner has been sent it. */
    record Origin(PeerId peer, long requestId) {
    }

    private final TreeMap<Zxid, Origin> byZxid = new TreeMap<>();
    /** How many entries of {@link #byZxid} each learner is the origin of. */
    private final Map<PeerId, Integer> counts = new TreeMap<>();

    /** The txn at {@code zxid} was proposed for request {@code requestId} of {@code peer}. */
    void add(Zxid zxid, PeerId peer, long requestId) {
        byZxid.put(zxid, new Origin(peer, requestId));
        counts.merge(peer, 1, Integer::sum);
    }

    /** The origin of the txn at {@code zxid}, or null (ours, or forgotten). */
    Origin of(Zxid zxid) {
        return byZxid.get(zxid);
    }

    /** Whether {@code peer} forwarded a txn whose origin is still kept. */
    boolean holdsFor(PeerId peer) {
        return counts.containsKey(peer);
    }

    /** Forgets the origins of the txns up to {@code zxid}, inclusive. */
    void forgetUpTo(Zxid zxid) {
        Map<Zxid, Origin> done = byZxid.headMap(zxid, true);
        for (Origin o : done.values()) {
            counts.computeIfPresent(o.peer(), (peer, n) -> n > 1 ? n - 1 : null);
        }
        done.clear();
    }
}
