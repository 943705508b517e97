/**
 * A test kit for hosts: a whole ensemble of the host's {@link io.zab.StateMachine} in the
 * test's JVM, in one line, that the test can take apart and wait on. Plain Java, no test
 * framework: a failed wait throws {@link java.util.concurrent.TimeoutException}, replicas that
 * diverged an {@link java.lang.AssertionError}, each with the state of every member.
 *
 * <pre>{@code
 * @Test
 * void aWriteSurvivesTheLeader() throws Exception {
 *     try (TestCluster<Kv> c = TestCluster.start(3, Kv::new)) {
 *         int leader = c.awaitLeader(Duration.ofSeconds(30));
 *         c.node(leader).submit(ByteBuffer.wrap(put("k", "v")), Duration.ofSeconds(5)).get();
 *         c.kill(leader);
 *         int next = c.awaitLeader(Duration.ofSeconds(30));
 *         c.wipe(leader);                          // back with an empty disk
 *         c.awaitConverged(Duration.ofSeconds(30));
 *         assertEquals("v", c.stateMachine(leader).get("k"));
 *     }
 * }
 * }</pre>
 *
 * <p>{@link io.zab.testkit.TestCluster#start(int, java.util.function.Supplier)} gives each
 * member a temporary data directory and, with zab-transport and zab-election on the test class
 * path, the production wiring: Netty on 127.0.0.1 with free ports and Fast Leader Election.
 * {@link io.zab.testkit.TestCluster#builder} chooses observers, spares (new servers for a
 * membership change to add), the loopback network (in memory, and the only one that can be
 * {@linkplain io.zab.testkit.TestCluster#partition partitioned}), a data root and config
 * changes. Once the membership changes, the kit's members, leader and waits follow the newest
 * committed membership the nodes report.
 *
 * <p><b>Threads.</b> The kit has no thread of its own. The nodes run theirs and call the state
 * machines on their delivery threads (and, while a member is built, on the thread that starts
 * it); the test's thread starts, kills, wipes and partitions members and polls in the waits;
 * the queries may be called from any thread. See {@link io.zab.testkit.TestCluster}.
 */
package io.zab.testkit;
