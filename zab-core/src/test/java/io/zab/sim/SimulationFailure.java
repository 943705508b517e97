package io.zab.sim;

/**
 * A broken invariant (or a core that threw) during a simulation, with what is needed to replay
 * and understand it: the seed, the virtual time, the node states and the last simulator events.
 */
public final class SimulationFailure extends AssertionError {
    private final long seed;
    private final long virtualTime;
    private final String trace;

    SimulationFailure(long seed, long virtualTime, String states, String trace, Throwable cause) {
        super(cause.getMessage() + "\n  seed " + seed + ", virtual time "
                + SimClock.format(virtualTime) + "\n" + states + trace, cause);
        this.seed = seed;
        this.virtualTime = virtualTime;
        this.trace = trace;
    }

    public long seed() {
        return seed;
    }

    public long virtualTime() {
        return virtualTime;
    }

    public String trace() {
        return trace;
    }

    /** The invariant's name: the message up to its first colon. */
    public String invariant() {
        String m = String.valueOf(getCause().getMessage());
        int colon = m.indexOf(':');
        return colon > 0 ? m.substring(0, colon) : m;
    }
}
