/**
 * Fast Leader Election (FLE) as ZooKeeper runs it, written as a pure state machine behind the
 * {@link io.zab.election.LeaderElection} SPI.
 *
 * <p>Threading: nothing here starts a thread, reads a clock, does I/O or draws unseeded random
 * numbers. {@code ZabCore} (or a test harness) owns one {@link FastLeaderElection} per node and
 * calls it from one thread only, the protocol thread; time arrives as ticks and messages leave
 * through {@link io.zab.election.ElectionContext#send}, which only records an action.
 */
package io.zab.election.fle;
