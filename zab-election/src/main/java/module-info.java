/**
 * Fast Leader Election, as ZooKeeper runs it. It exports nothing to hosts; zab-core finds it as
 * a {@code LeaderElection} service.
 */
module io.zab.election.fle {
    requires io.zab.core;
    requires org.slf4j;

    provides io.zab.election.LeaderElection with io.zab.election.fle.FastLeaderElection;
}
