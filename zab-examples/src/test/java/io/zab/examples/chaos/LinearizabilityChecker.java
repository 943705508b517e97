package io.zab.examples.chaos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks that a history of {@link Op}s on a KV store is linearizable, key by key (each key is
 * an independent register, so the history is linearizable iff every key's sub-history is).
 *
 * <p>The search is Wing and Gong's, as Porcupine runs it: the calls and returns of one key's
 * ops in time order form a list; walking it, an op whose call is reached may be linearized next
 * if the register model accepts it in the current state; reaching the return of an op that was
 * not linearized means the choices so far were wrong, so the last one is undone. Configurations
 * already explored (the set of linearized ops plus the register's value) are remembered and not
 * explored again, which keeps histories with few concurrent clients close to linear time.
 *
 * <p>Ops whose outcome is unknown return at infinity, so they may be linearized anywhere after
 * their call or left out (once only they remain, the history is accepted). An unknown write or
 * CAS whose value nobody ever observed is dropped first: had it taken effect, any later op
 * before the next overwrite would have observed its value, so leaving it out never changes the
 * verdict, and it would otherwise multiply the configurations.
 *
 * <p>The search is bounded by a number of steps; a key that needs more is reported
 * {@link Verdict#GAVE_UP}, never as linearizable.
 *
 * <p>Stateless and thread-safe.
 */
public final class LinearizabilityChecker {
    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, GAVE_UP }

    /** The verdict on one key, with how hard the search worked and, if broken, why. */
    public record Result(String key, Verdict verdict, int ops, long steps, String detail) {
        @Override
        public String toString() {
            return key + ": " + verdict + " (" + ops + " ops, " + steps + " steps)"
                    + (detail.isEmpty() ? "" : "\n" + detail);
        }
    }

    private final long maxSteps;

    public LinearizabilityChecker(long maxSteps) {
        if (maxSteps <= 0) {
            throw new IllegalArgumentException("maxSteps must be positive: " + maxSteps);
        }
        this.maxSteps = maxSteps;
    }

    /** One result per key, in key order. */
    public List<Result> check(List<Op> history) {
        Map<String, List<Op>> byKey = new TreeMap<>();
        for (Op op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        List<Result> out = new ArrayList<>();
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            out.add(checkKey(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The first result that is not LINEARIZABLE, or null. */
    public static Result firstProblem(List<Result> results) {
        for (Result r : results) {
            if (r.verdict() != Verdict.LINEARIZABLE) {
                return r;
            }
        }
        return null;
    }

    // ---- the register ----

    /** The register's value after {@code op} in state {@code s}, or NO if op is impossible. */
    private static final Object NO = new Object();

    private static Object step(String s, Op op) {
        switch (op.kind()) {
            case READ:
                return Objects.equals(s, op.observed()) ? s : NO;
            case WRITE:
                return op.value();
            default:
                if (op.outcome() == Op.Outcome.FAILED) {
                    return !Objects.equals(s, op.expected()) && Objects.equals(s, op.observed())
                            ? s : NO;
                }
                return Objects.equals(s, op.expected()) ? op.value() : NO;
        }
    }

    /** Drops unknown ops whose effect nobody could have seen (see the class comment). */
    static List<Op> prune(List<Op> ops) {
        Set<String> seen = new HashSet<>();
        for (Op op : ops) {
            if (op.kind() == Op.Kind.READ || op.outcome() == Op.Outcome.FAILED) {
                seen.add(op.observed());
            }
            if (op.kind() == Op.Kind.CAS && op.outcome() == Op.Outcome.OK) {
                seen.add(op.expected());
            }
        }
        Set<Op> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Op op : ops) {
                if (op.outcome() == Op.Outcome.UNKNOWN && !kept.contains(op)
                        && seen.contains(op.value())) {
                    kept.add(op);
                    grew = true;
                    if (op.kind() == Op.Kind.CAS) {
                        seen.add(op.expected());
                    }
                }
            }
        }
        List<Op> out = new ArrayList<>();
        for (Op op : ops) {
            if (op.outcome() != Op.Outcome.UNKNOWN || kept.contains(op)) {
                out.add(op);
            }
        }
        return out;
    }

    // ---- the search ----

    private static final class Entry {
        final int id;
        final boolean call;
        final long time;
        final Op op;
        Entry match;
        Entry prev;
        Entry next;

        Entry(int id, boolean call, long time, Op op) {
            this.id = id;
            this.call = call;
            this.time = time;
            this.op = op;
        }
    }

    private record Config(BitSet linearized, String state) {
    }

    private record Frame(Entry call, String state) {
    }

    private static Entry buildList(List<Op> ops) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            Entry call = new Entry(i, true, op.invoked(), op);
            Entry ret = new Entry(i, false, op.completed(), op);
            call.match = ret;
            entries.add(call);
            entries.add(ret);
        }
        // Calls before returns at the same instant: such ops count as concurrent.
        entries.sort(Comparator.comparingLong((Entry e) -> e.time)
                .thenComparing(e -> e.call ? 0 : 1));
        Entry head = new Entry(-1, true, Long.MIN_VALUE, null);
        Entry prev = head;
        for (Entry e : entries) {
            prev.next = e;
            e.prev = prev;
            prev = e;
        }
        return head;
    }

    private static void lift(Entry call) {
        call.prev.next = call.next;
        call.next.prev = call.prev;
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        call.next.prev = call;
    }

    Result checkKey(String key, List<Op> all) {
        List<Op> ops = prune(all);
        Entry head = buildList(ops);
        BitSet linearized = new BitSet(ops.size());
        Set<Config> explored = new HashSet<>();
        ArrayDeque<Frame> stack = new ArrayDeque<>();
        String state = null;
        long steps = 0;
        int deepest = -1;
        String why = "";
        Entry entry = head.next;
        while (head.next != null) {
            if (++steps > maxSteps) {
                return new Result(key, Verdict.GAVE_UP, ops.size(), steps, "gave up after "
                        + maxSteps + " steps with " + stack.size() + " ops linearized");
            }
            if (entry.call) {
                Object next = step(state, entry.op);
                if (next != NO) {
                    BitSet after = (BitSet) linearized.clone();
                    after.set(entry.id);
                    if (explored.add(new Config(after, (String) next))) {
                        stack.push(new Frame(entry, state));
                        state = (String) next;
                        linearized.set(entry.id);
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
                continue;
            }
            if (entry.time == Long.MAX_VALUE) {
                // Only unknown ops are left, and each may never have happened.
                break;
            }
            if (stack.size() > deepest) {
                deepest = stack.size();
                why = explain(stack, entry, state);
            }
            if (stack.isEmpty()) {
                return new Result(key, Verdict.NOT_LINEARIZABLE, ops.size(), steps, why);
            }
            Frame f = stack.pop();
            state = f.state();
            linearized.clear(f.call().id);
            unlift(f.call());
            entry = f.call().next;
        }
        return new Result(key, Verdict.LINEARIZABLE, ops.size(), steps, "");
    }

    /** Where the deepest attempt got stuck: the op that returned before it could take place. */
    private static String explain(ArrayDeque<Frame> stack, Entry stuck, String state) {
        StringBuilder b = new StringBuilder("  no linearization: after " + stack.size()
                + " ops the register holds " + state + " and this op cannot take effect before"
                + " it returned:\n    " + stuck.op + "\n  last ops of that attempt:\n");
        List<Frame> frames = new ArrayList<>(stack);
        for (int i = Math.min(frames.size(), 8) - 1; i >= 0; i--) {
            b.append("    ").append(frames.get(i).call().op).append('\n');
        }
        return b.toString();
    }
}
