/**
 * The deterministic simulator of zab (VOPR-lite), shipped in zab-core's test-jar so every
 * module's tests can use it.
 *
 * <p><b>Model.</b> A {@link io.zab.sim.SimCluster} runs N real {@code ZabCore}s (3 or 5 voters,
 * optional observers) on one virtual clock ({@link io.zab.sim.SimClock}, microseconds, ticks of
 * 100 ms with a random phase per node). Every step a real machine does not do atomically is an
 * event of its own, so a crash can fall between any two: each message delivery, each storage
 * action applied to the disk, each fsync (0.1-2 ms, coalescing everything written), each
 * {@code Persisted} report, each delivery action run by the host. One
 * {@link java.util.SplittableRandom} seeded by the seed drives everything; nothing reads the wall
 * clock or depends on hash iteration order, so a seed replays exactly.
 * <ul>
 *   <li>{@link io.zab.sim.SimNetwork}: one FIFO connection per pair with an incarnation;
 *       latency 0.05-2 ms, sometimes up to 50 ms; breaks lose what is in flight and tell both
 *       ends; partitions symmetric, one-way (stall, then a TCP-like timeout) or bridged.</li>
 *   <li>{@link io.zab.sim.SimDisk}: the in-memory stores behind the production
 *       {@code StorageApplier}; a crash keeps a random prefix of the unsynced writes and may tear
 *       the last append.</li>
 *   <li>{@link io.zab.sim.SimStateMachine}: a hash chain over delivered (zxid, payload) of
 *       the host's txns, and the position and zxid of every delivered txn (membership changes
 *       included); lost at a crash, restored from the snapshot store at restart.</li>
 *   <li>{@link io.zab.sim.SimNode}: a crash loses memory, pipelines, timers and pending client
 *       requests (their outcome becomes unknown); a pause freezes the process while its inbox
 *       fills up (a zombie leader).</li>
 * </ul>
 *
 * <p><b>Oracle.</b> {@link io.zab.sim.Checkers} checks the invariants of RELIABILITY.md after
 * every step, incrementally (Leadership, PrefixConsistency/Agreement/TotalOrder against one
 * global delivered chain, Integrity, Local/GlobalPrimaryOrder, PrimaryIntegrity, durability of
 * acknowledged writes and of every announced commit, linearizable sync, no ACK before it is
 * durable, persisted epochs). A violation is an {@link AssertionError} named after the
 * invariant, reported as a {@link io.zab.sim.SimulationFailure} with the seed, the node states
 * and the last simulator events.
 *
 * <p><b>Use.</b> {@code SimulationTest} runs {@link io.zab.sim.RandomRun} over a range of seeds:
 * <pre>mvn -pl zab-core test -Dtest=SimulationTest -Dsim.seeds=N -Dsim.firstSeed=S</pre>
 * ({@code -Dsim.runMillis} changes the 200 s of virtual time per seed); the random tests share
 * {@code SeedRunner}, which prints the command that replays a failed seed. Scenario tests script a
 * {@code SimCluster} directly: faults, client calls, and hooks that act right before an action
 * or event takes effect.
 *
 * <p>Threading: one simulation is single-threaded; independent simulations may run in parallel.
 */
package io.zab.sim;
