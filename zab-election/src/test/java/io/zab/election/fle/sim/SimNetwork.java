package io.zab.election.fle.sim;

import io.zab.PeerId;
import io.zab.protocol.message.Notification;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToLongBiFunction;

/**
 * The election harness's network: per-link delays, loss, duplication, reordering, broken
 * connections and partitions, all drawn from one seeded generator.
 */
final class SimNetwork {
    /** Where delivered messages go. */
    interface Receiver {
        void deliver(PeerId to, PeerId from, Notification n);
    }

    private record Link(PeerId from, PeerId to) {
    }

    private final EventQueue queue;
    private final SplittableRandom rng;
    private final Receiver receiver;
    private NetConfig config;
    /** A connection's generation; a message sent in an older one was lost with it. */
    private final Map<Link, Long> generation = new HashMap<>();
    private final Map<Link, Long> lastDeliveryUs = new HashMap<>();
    private List<Set<PeerId>> partition = List.of();
    private ToLongBiFunction<PeerId, PeerId> extraDelayUs = (a, b) -> 0;
    private long sent;
    private long delivered;

    SimNetwork(EventQueue queue, SplittableRandom rng, NetConfig config, Receiver receiver) {
        this.queue = queue;
        this.rng = rng;
        this.config = config;
        this.receiver = receiver;
    }

    void configure(NetConfig c) {
        this.config = c;
    }

    /** Adds a delay per link on top of the configured one (to split votes by distance). */
    void extraDelay(ToLongBiFunction<PeerId, PeerId> f) {
        this.extraDelayUs = f;
    }

    long sent() {
        return sent;
    }

    long delivered() {
        return delivered;
    }

    /** Cuts every link between groups (and what is in flight on it); {@code heal} undoes it. */
    void partition(List<Set<PeerId>> groups) {
        this.partition = List.copyOf(groups);
        for (Set<PeerId> g : groups) {
            for (Set<PeerId> h : groups) {
                if (g != h) {
                    for (PeerId a : g) {
                        for (PeerId b : h) {
                            breakConnection(a, b);
                        }
                    }
                }
            }
        }
    }

    void heal() {
        partition = List.of();
    }

    boolean reachable(PeerId a, PeerId b) {
        if (partition.isEmpty()) {
            return true;
        }
        for (Set<PeerId> g : partition) {
            if (g.contains(a)) {
                return g.contains(b);
            }
        }
        return false;
    }

    /** Everything in flight between a and b, either way, is lost (a crash, a reset). */
    void breakConnection(PeerId a, PeerId b) {
        generation.merge(new Link(a, b), 1L, Long::sum);
        generation.merge(new Link(b, a), 1L, Long::sum);
    }

    void send(PeerId from, PeerId to, Notification n) {
        sent++;
        Link link = new Link(from, to);
        if (!reachable(from, to)) {
            return;
        }
        if (config.breakRate() > 0 && rng.nextDouble() < config.breakRate()) {
            breakConnection(from, to);
            return;
        }
        if (config.lossRate() > 0 && rng.nextDouble() < config.lossRate()) {
            return;
        }
        long gen = generation.getOrDefault(link, 0L);
        long at = schedule(link, gen, n);
        if (config.duplicateRate() > 0 && rng.nextDouble() < config.duplicateRate()) {
            schedule(link, gen, n);
        }
        assert at >= queue.nowUs();
    }

    private long schedule(Link link, long gen, Notification n) {
        long delay = config.minDelayUs()
                + rng.nextLong(config.maxDelayUs() - config.minDelayUs() + 1)
                + extraDelayUs.applyAsLong(link.from, link.to);
        long at = queue.nowUs() + delay;
        if (!config.reorder()) {
            at = Math.max(at, lastDeliveryUs.getOrDefault(link, 0L));
            lastDeliveryUs.put(link, at);
        }
        queue.at(at, () -> {
            if (generation.getOrDefault(link, 0L) == gen && reachable(link.from, link.to)) {
                delivered++;
                receiver.deliver(link.to, link.from, n);
            }
        });
        return at;
    }
}
