package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.PeerId;
import io.zab.SubmitResult;
import io.zab.ZabConfig;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.examples.kv.KvCommand;
import io.zab.examples.kv.KvStateMachine;
import io.zab.testkit.FreePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "API in a few lines" is what a host writes: its code block compiles as it stands
 * (against the modules' classes, as a consumer sees them), and the same wiring (a config and a
 * state machine, nothing else) runs three nodes over Netty with Fast Leader Election found on
 * the class path, where a timed submit issued right after {@code start()} commits.
 */
class EmbeddingExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmesExampleCompilesAsItStands() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("## The API in a few lines");
        assertTrue(section >= 0, "README has the section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        String block = readme.substring(start, end);
        String source = String.join("\n",
                "import io.zab.*;",
                "import java.net.InetSocketAddress;",
                "import java.nio.ByteBuffer;",
                "import java.nio.file.Path;",
                "import java.time.Duration;",
                "class ReadmeExample {",
                "    static void run(StateMachine myStateMachine, byte[] bytes) throws Exception {",
                block,
                "    }",
                "}");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///ReadmeExample.java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        java.io.StringWriter out = new java.io.StringWriter();
        boolean ok = javac.getTask(out, null, null, List.of("-d", dir.toString(),
                "-classpath", System.getProperty("java.class.path")), null, List.of(file))
                .call();
        assertTrue(ok, "README's example does not compile:\n" + out + "\n" + source);
    }

    @Test
    void aConfigAndAStateMachineAreAllTheWiringAndASubmitRightAfterStartCommits()
            throws Exception {
        int[] ports = FreePorts.pick(3);
        List<ZabNode> nodes = new ArrayList<>();
        List<KvStateMachine> machines = new ArrayList<>();
        try {
            for (int id = 1; id <= 3; id++) {
                ZabConfig.Builder b = ZabConfig.builder().peerId(id)
                        .dataDir(dir.resolve("n" + id));
                for (int v = 1; v <= 3; v++) {
                    b.voter(v, new InetSocketAddress("127.0.0.1", ports[v - 1]));
                }
                KvStateMachine kv = new KvStateMachine();
                machines.add(kv);
                nodes.add(ZabNode.builder().config(b.build()).stateMachine(kv).build().start());
            }
            // Right after start(): no leader yet, and no retry loop around the call.
            byte[] put = KvCommand.put("k", "v").encode();
            SubmitResult r = nodes.get(0).submit(ByteBuffer.wrap(put), Duration.ofSeconds(30))
                    .get(60, TimeUnit.SECONDS);
            Zxid readPoint = nodes.get(2).sync(Duration.ofSeconds(30))
                    .get(60, TimeUnit.SECONDS);
            assertTrue(!readPoint.isBefore(r.zxid()), "the read point covers the write");
            assertEquals("v", machines.get(2).get("k"));
            PeerId leader = nodes.get(1).whenReady().get(30, TimeUnit.SECONDS);
            assertTrue(leader.value() >= 1 && leader.value() <= 3);
        } finally {
            nodes.forEach(ZabNode::close);
        }
    }
}
