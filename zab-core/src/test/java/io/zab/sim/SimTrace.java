package io.zab.sim;

import io.zab.protocol.Action;
import io.zab.protocol.Event;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The last few simulator events, one line each, for the failure report. Entries keep references
 * to the (immutable) events, messages and actions and are formatted only when a failure is
 * reported, so recording costs a few array stores per step.
 *
 * <p>One thread.
 */
public final class SimTrace {
    private final int capacity;
    private final long[] times;
    private final int[] nodes;
    private final String[] kinds;
    private final Object[] firsts;
    private final Object[] seconds;
    private long total;

    public SimTrace(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("trace capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.times = new long[capacity];
        this.nodes = new int[capacity];
        this.kinds = new String[capacity];
        this.firsts = new Object[capacity];
        this.seconds = new Object[capacity];
    }

    /** Records one line: at {@code time}, on {@code node} (0: none), {@code kind}, details. */
    public void add(long time, int node, String kind, Object first, Object second) {
        int i = (int) (total % capacity);
        times[i] = time;
        nodes[i] = node;
        kinds[i] = kind;
        firsts[i] = first;
        seconds[i] = second;
        total++;
    }

    public long total() {
        return total;
    }

    /** The recorded lines, oldest first. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        long from = Math.max(0, total - capacity);
        for (long k = from; k < total; k++) {
            int i = (int) (k % capacity);
            StringBuilder sb = new StringBuilder();
            sb.append(SimClock.format(times[i])).append(' ');
            sb.append(nodes[i] > 0 ? "n" + nodes[i] : "--").append(' ').append(kinds[i]);
            if (firsts[i] != null) {
                sb.append(' ').append(describe(firsts[i]));
            }
            if (seconds[i] != null) {
                sb.append(" -> ").append(describe(seconds[i]));
            }
            out.add(sb.toString());
        }
        return out;
    }

    public String dump() {
        StringBuilder sb = new StringBuilder();
        sb.append("last ").append(Math.min(total, capacity)).append(" of ").append(total)
                .append(" simulator events:\n");
        for (String line : lines()) {
            sb.append("  ").append(line).append('\n');
        }
        return sb.toString();
    }

    /** A short, stable description: byte arrays become lengths, action lists compact lists. */
    static String describe(Object o) {
        if (o instanceof Collection<?> c) {
            StringBuilder sb = new StringBuilder("[");
            String sep = "";
            for (Object e : c) {
                sb.append(sep).append(describe(e));
                sep = ", ";
            }
            return sb.append(']').toString();
        }
        if (o instanceof Action a) {
            return describeAction(a);
        }
        if (o instanceof Message m) {
            return describeMessage(m);
        }
        if (o instanceof Event e) {
            return describeEvent(e);
        }
        if (o instanceof byte[] b) {
            return printable(b);
        }
        return String.valueOf(o);
    }

    private static String describeAction(Action a) {
        if (a instanceof Action.Send s) {
            return "send " + s.to() + " " + describeMessage(s.message());
        }
        if (a instanceof Action.AppendTxns t) {
            return "append#" + t.seq() + " " + describe(t.txns());
        }
        if (a instanceof Action.InstallSnapshot i) {
            return "installSnapshot#" + i.seq() + " " + i.zxid() + " (" + i.size() + " bytes)";
        }
        if (a instanceof Action.WriteSnapshotChunk w) {
            return "snapshotChunk#" + w.seq() + " " + w.zxid() + " @" + w.offset() + " ("
                    + w.data().length + " bytes)";
        }
        if (a instanceof Action.Deliver d) {
            return "Deliver " + describe(d.txns());
        }
        return a.toString();
    }

    private static String describeMessage(Message m) {
        if (m instanceof Request r) {
            return "Request[id=" + r.requestId() + ", " + printable(r.payload()) + "]";
        }

        return m.toString();
    }

    private static String describeEvent(Event e) {
        if (e instanceof Event.Received r) {
            return "from " + r.from() + " " + describeMessage(r.message());
        }
        if (e instanceof Event.Submit s) {
            return "Submit[id=" + s.requestId() + ", " + printable(s.payload()) + "]";
        }
        if (e instanceof Event.SnapshotChunk c) {
            return "SnapshotChunk[learner=" + c.learner() + ", zxid=" + c.zxid() + " @"
                    + c.offset() + ", " + c.data().length + " bytes]";
        }
        if (e instanceof Event.LogRead r) {
            return "LogRead[learner=" + r.learner() + ", after=" + r.after() + ", "
                    + r.txns().size() + " txns" + (r.txns().isEmpty() ? "" : " to "
                            + r.txns().get(r.txns().size() - 1).zxid()) + "]";
        }
        return e.toString();
    }

    private static String printable(byte[] b) {
        if (b.length > 40) {
            return b.length + " bytes";
        }
        return "'" + new String(b, StandardCharsets.ISO_8859_1) + "'";
    }
}
