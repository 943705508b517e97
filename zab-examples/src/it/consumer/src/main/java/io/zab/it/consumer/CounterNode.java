package io.zab.it.consumer;

import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A host program: one member of a three-member replicated counter. Each member runs it with its
 * own id and data directory, the same three addresses in the same order, and an amount to add:
 *
 * <pre>java io.zab.it.consumer.CounterNode 1 data/1 host1:7001 host2:7001 host3:7001 5</pre>
 *
 * @param added what this member's own txn got: its zxid, and the counter right after it
 * @param readPoint a sync after that txn, so {@code counter} has every write committed before it
 */
public record CounterNode(ZabNode node, Counter counter, SubmitResult added, Zxid readPoint)
        implements AutoCloseable {

    /** Starts this member and adds {@code delta} as soon as it can, waiting out the election. */
    public static CounterNode join(int id, List<InetSocketAddress> members, Path dataDir,
            long delta) throws Exception {
        Counter counter = new Counter();
        // README:begin
        ZabConfig config = ZabConfig.builder().peerId(id)         // each member its own id and dataDir
                .voter(1, members.get(0))                         // every member's host:port
                .voter(2, members.get(1))
                .voter(3, members.get(2))
                .dataDir(dataDir)
                .build();
        ZabNode node = ZabNode.builder().config(config).stateMachine(counter).build().start();
        SubmitResult r = node.submit(Counter.add(delta), Duration.ofSeconds(30)).get();
        Zxid readPoint = node.sync(Duration.ofSeconds(30)).get(); // then read counter: linearizable
        // README:end
        return new CounterNode(node, counter, r, readPoint);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: CounterNode <id> <dataDir> <host:port> <host:port> "
                    + "<host:port> <delta>");
            System.exit(2);
        }
        List<InetSocketAddress> members = List.of(address(args[2]), address(args[3]),
                address(args[4]));
        CounterNode member;
        try {
            member = join(Integer.parseInt(args[0]), members, Path.of(args[1]),
                    Long.parseLong(args[5]));
        } catch (Exception e) {
            e.printStackTrace();
            // A node that started keeps its threads running: exit rather than hang half-joined.
            System.exit(1);
            return;
        }
        System.out.printf("added at %s; counter is %d as of %s%n", member.added().zxid(),
                member.counter().value(), member.readPoint());
        Runtime.getRuntime().addShutdownHook(new Thread(member::close));
        // The node serves the other members from its own threads until the process is stopped.
        new CountDownLatch(1).await();
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override
    public void close() {
        node.close();
    }
}
