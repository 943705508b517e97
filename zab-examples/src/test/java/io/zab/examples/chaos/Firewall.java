package io.zab.examples.chaos;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Network partitions between server processes with iptables DROP rules: node i lives on its own
 * loopback address, and cutting the link a-b drops every TCP segment between a's and b's
 * addresses that touches either node's quorum port, both ways. Nothing is reset: the packets
 * just vanish, as in a real partition, and TCP retransmits until the link heals.
 *
 * <p>The rules live in a chain of this test's own, {@code ZABCHAOS<pid>}, jumped to from INPUT
 * only for packets to the nodes' addresses (a packet dropped on INPUT has left its sender, as
 * on a wire; OUTPUT would hand the sender a local error instead). The DROP rules also name the
 * quorum ports, so other users of the same 127.0.0.x addresses on this host are not touched.
 * {@link #heal()} flushes the chain; {@link #close()} removes the jumps and the chain, and
 * chains left by a test JVM that died (its pid gone) are removed when the next one opens.
 *
 * <p>Thread-safe (synchronized): the nemesis cuts and heals, the shutdown reaper closes.
 */
final class Firewall implements AutoCloseable {
    private static final String PREFIX = "ZABCHAOS";
    private static final long SECONDS = 30;

    private final String iptables;
    private final String chain;
    private final List<InetAddress> hosts;
    private final int[] quorumPorts;
    private final Set<String> cut = new TreeSet<>();
    private boolean closed;

    private Firewall(String iptables, String chain, List<InetAddress> hosts, int[] quorumPorts) {
        this.iptables = iptables;
        this.chain = chain;
        this.hosts = hosts;
        this.quorumPorts = quorumPorts;
    }

    /**
     * Installs iptables if missing, removes stale chains of dead test JVMs and creates this
     * JVM's chain with its jumps. {@code hosts.get(i - 1)} is node i's address.
     */
    static Firewall open(List<InetAddress> hosts, int[] quorumPorts) {
        Path bin = HostTools.require("iptables", "iptables");
        String chain = PREFIX + ProcessHandle.current().pid();
        Firewall f = new Firewall(bin.toString(), chain, hosts, quorumPorts);
        f.removeStale();
        f.ipt("-N", chain);
        try {
            for (InetAddress h : hosts) {
                String[] jump = {"INPUT", "-d", h.getHostAddress() + "/32", "-p", "tcp",
                        "-j", chain};
                f.ipt(concat("-I", jump));
            }
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private static String[] concat(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    private String ipt(String... args) {
        List<String> cmd = new ArrayList<>(List.of(iptables, "-w", "10"));
        cmd.addAll(List.of(args));
        return HostTools.run(SECONDS, cmd.toArray(new String[0]));
    }

    /** Chains named ZABCHAOS<pid> whose JVM is gone: their jumps, rules and the chains. */
    private void removeStale() {
        Matcher m = Pattern.compile("^-N (" + PREFIX + "(\\d+))$", Pattern.MULTILINE)
                .matcher(ipt("-S"));
        while (m.find()) {
            long pid = Long.parseLong(m.group(2));
            if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                System.out.println("chaos: removing stale iptables chain " + m.group(1));
                dropChain(m.group(1));
            }
        }
    }

    /** Deletes every INPUT/OUTPUT rule jumping to {@code name}, then the chain itself. */
    private void dropChain(String name) {
        for (String builtin : List.of("INPUT", "OUTPUT")) {
            Matcher r = Pattern.compile("^-A " + builtin + " (.*-j " + name + ")$",
                    Pattern.MULTILINE).matcher(ipt("-S", builtin));
            while (r.find()) {
                List<String> del = new ArrayList<>(List.of("-D", builtin));
                del.addAll(List.of(r.group(1).split(" ")));
                ipt(del.toArray(new String[0]));
            }
        }
        ipt("-F", name);
        ipt("-X", name);
    }

    private String addr(int id) {
        return hosts.get(id - 1).getHostAddress() + "/32";
    }

    /** Drops the link between a and b, both directions; no-op if already cut. */
    synchronized void cut(int a, int b) {
        if (closed) {
            throw new IllegalStateException("firewall closed");
        }
        String key = Math.min(a, b) + "-" + Math.max(a, b);
        if (!cut.add(key)) {
            return;
        }
        for (String[] rule : rules(a, b)) {
            ipt(concat("-A", rule));
        }
    }

    /** The two DROP rules of link a-b (their spec, after -A/-D), the same for (b, a). */
    private String[][] rules(int a, int b) {
        int lo = Math.min(a, b);
        int hi = Math.max(a, b);
        String ports = quorumPorts[lo - 1] + "," + quorumPorts[hi - 1];
        return new String[][] {
            {chain, "-s", addr(lo), "-d", addr(hi), "-p", "tcp", "-m", "multiport", "--ports",
                ports, "-j", "DROP"},
            {chain, "-s", addr(hi), "-d", addr(lo), "-p", "tcp", "-m", "multiport", "--ports",
                ports, "-j", "DROP"}};
    }

    /** Brings the link between a and b up again, both directions; no-op if it is not cut. */
    synchronized void restore(int a, int b) {
        if (closed) {
            throw new IllegalStateException("firewall closed");
        }
        if (!cut.remove(Math.min(a, b) + "-" + Math.max(a, b))) {
            return;
        }
        for (String[] rule : rules(a, b)) {
            ipt(concat("-D", rule));
        }
    }

    /** Every link up again. */
    synchronized void heal() {
        if (closed || cut.isEmpty()) {
            return;
        }
        ipt("-F", chain);
        cut.clear();
    }

    /** The links cut now, e.g. "1-3", for logs. */
    synchronized Set<String> cutLinks() {
        return new TreeSet<>(cut);
    }

    String chain() {
        return chain;
    }

    /** Removes the jumps and the chain; idempotent; errors are printed, not thrown. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            dropChain(chain);
        } catch (RuntimeException e) {
            System.out.println("chaos: could not remove iptables chain " + chain + ": "
                    + e.getMessage() + "; remove it with iptables -S | grep " + chain);
        }
    }
}
