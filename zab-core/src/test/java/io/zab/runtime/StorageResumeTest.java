package io.zab.runtime;

import static io.zab.runtime.FileCluster.await;
import static io.zab.runtime.FileCluster.bytes;
import static io.zab.runtime.FileCluster.get;
import static io.zab.runtime.FileCluster.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.SubmitResult;
import io.zab.ZabException;
import io.zab.ZabNode;
import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.protocol.message.Ack;
import io.zab.protocol.message.AckNewLeader;
import io.zab.protocol.message.Commit;
import io.zab.protocol.message.Message;
import io.zab.storage.Recovery;
import io.zab.storage.ShmTempDir;
import io.zab.storage.file.CrashFs;
import io.zab.storage.file.FileIo;
import io.zab.storage.file.FileStorage;
import io.zab.testing.SmallTmpfs;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node whose storage fails (a real full disk; an injected EIO on fsync) stops acking, leaves
 * the ensemble, loses nothing it acked, and resumes by itself once the disk works again, while
 * the other two keep committing.
 */
class StorageResumeTest {
    @TempDir(factory = ShmTempDir.class)
    Path tmp;

    /** A {@link FileIo} that refuses every open, rename, delete and dirsync while down. */
    static final class GatedIo implements FileIo {
        final FileIo inner;
        volatile boolean down;
        final AtomicInteger refused = new AtomicInteger();

        GatedIo(FileIo inner) {
            this.inner = inner;
        }

        private void check() throws IOException {
            if (down) {
                refused.incrementAndGet();
                throw new IOException("Input/output error (injected: the disk is unavailable)");
            }
        }

        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            check();
            return inner.open(file, options);
        }

        @Override
        public void move(Path source, Path target) throws IOException {
            check();
            inner.move(source, target);
        }

        @Override
        public void delete(Path file) throws IOException {
            check();
            inner.delete(file);
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            check();
            inner.forceDirectory(dir);
        }
    }

    @Test
    void aFollowerWhoseDiskFillsUpLeavesAcksOnlyWhatItPersistedAndResumesWhenSpaceIsFreed()
            throws Exception {
        try (SmallTmpfs disk = SmallTmpfs.mount("resume-full");
                FileCluster c = new FileCluster(tmp)) {
            FileCluster.Member victim = c.member(1);
            victim.dir = disk.resolve("node1");
            c.startAll();
            c.awaitBroadcast();
            FileCluster.Member leader = c.leader();
            assertNotEquals(victim, leader, "the max-sid election should not pick node 1");
            write(leader.node, "a", 20);
            List<String> acked = new ArrayList<>(values("a", 20));

            Path filler = disk.fill("filler");
            // The victim appends into its preallocated segment until it must create the next.
            int n = 0;
            while (victim.node.failure().isEmpty() && n < 2000) {
                write(leader.node, "b" + n + "-", 10);
                acked.addAll(values("b" + n + "-", 10));
                n++;
            }
            Throwable cause = victim.node.failure().orElseThrow(
                    () -> new AssertionError("the victim's disk never filled"));
            assertTrue(String.valueOf(cause.getMessage()).contains("No space left on device"),
                    String.valueOf(cause));
            checkOutage(c, victim, leader, acked);
            Set<Zxid> promised = promisedBy(victim);
            checkFilesHold(copyOf(victim.dir), FileIo.REAL, victim.options, promised,
                    "the full node's files during the outage");

            Files.delete(filler);
            finishAfterResume(c, victim, acked);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anFsyncThatFailsWithEioCostsTheNodeNothingItAckedAndItResumesFromDisk(boolean leads)
            throws Exception {
        try (FileCluster c = new FileCluster(tmp)) {
            List<CrashFs> fs = new ArrayList<>();
            List<GatedIo> gates = new ArrayList<>();
            for (FileCluster.Member m : c.members()) {
                CrashFs f = new CrashFs(m.dir).failedForceLosesWrites(true);
                GatedIo g = new GatedIo(f);
                m.io = g;
                fs.add(f);
                gates.add(g);
            }
            c.startAll();
            c.awaitBroadcast();
            FileCluster.Member leader = c.leader();
            FileCluster.Member victim = leads ? leader : c.members().stream()
                    .filter(m -> m != leader).findFirst().orElseThrow();
            FileCluster.Member writer = c.members().stream()
                    .filter(m -> m != victim && m != leader).findFirst().orElseThrow();
            write(writer.node, "a", 30);
            List<String> acked = new ArrayList<>(values("a", 30));

            GatedIo gate = gates.get(victim.id - 1);
            gate.down = true; // keeps the reopen attempts failing until the test lifts it
            fs.get(victim.id - 1).failOp("force", 0, "Input/output error (injected)");
            List<CompletableFuture<SubmitResult>> onVictim = new ArrayList<>();
            for (int n = 0; victim.node.failure().isEmpty() && n < 200; n++) {
                for (int i = 0; i < 3; i++) {
                    onVictim.add(victim.node.submit(bytes("v" + n + "-" + i)));
                }
                acked.addAll(tryWrite(writer.node, "b" + n + "-", 5));
            }
            Throwable cause = victim.node.failure().orElseThrow(
                    () -> new AssertionError("the injected EIO never reached the victim"));
            assertTrue(String.valueOf(cause).contains("Input/output error"), String.valueOf(cause));
            await("a reopen refused", () -> gate.refused.get() > 0);
            // What was in flight on the victim fails with an error saying what happened.
            for (CompletableFuture<SubmitResult> f : onVictim) {
                try {
                    get(f);
                } catch (ZabException.OutcomeUnknownException
                        | ZabException.RecoveringException e) {
                    // Which words depend on where the txn was when the node stopped: queued,
                    // proposed, or bound to a leader that stepped down.
                    assertTrue(e.getMessage().contains("storage failed")
                            || e.getMessage().contains("leadership changed")
                            || e.getMessage().contains("stopped while the txn was queued")
                            && e.getMessage().contains("Input/output error"), e.getMessage());
                }
            }
            FileCluster.Member next = c.awaitLeader();
            checkOutage(c, victim, next, acked);

            gate.down = false;
            finishAfterResume(c, victim, acked);
            Set<Zxid> promised = promisedBy(victim);
            c.close();
            // A power cut now: only what was forced survives. The victim's first incarnation
            // wrote records whose force failed; they must not come back, nor take later acked
            // records with them.
            CrashFs vfs = fs.get(victim.id - 1);
            vfs.crash(CrashFs.Mode.LOSE_ALL, new Random(7));
            checkFilesHold(victim.dir, vfs, victim.options, promised, "after a power cut");
        }
    }

    @Test
    void runningOutOfDescriptorsIsReportedAsSuchNotAsADiskFaultAndTheNodeResumes()
            throws Exception {
        try (FileCluster c = new FileCluster(tmp)) {
            CrashFs fs = null;
            for (FileCluster.Member m : c.members()) {
                CrashFs f = new CrashFs(m.dir);
                m.io = f;
                fs = m.id == 1 ? f : fs;
            }
            c.startAll();
            c.awaitBroadcast();
            FileCluster.Member victim = c.member(1);
            FileCluster.Member leader = c.leader();
            assertNotEquals(victim, leader, "the max-sid election should not pick node 1");
            write(leader.node, "a", 20);
            List<String> acked = new ArrayList<>(values("a", 20));
            fs.failOp("force", 0, "Too many open files");
            int n = 0;
            while (victim.node.failure().isEmpty() && n < 200) {
                acked.addAll(tryWrite(leader.node, "b" + n + "-", 5));
                n++;
            }
            Throwable cause = victim.node.failure().orElseThrow(
                    () -> new AssertionError("the injected EMFILE never reached the victim"));
            assertInstanceOf(OutOfDescriptorsException.class, cause);
            assertTrue(cause.getMessage().startsWith("the process is out of file descriptors (")
                    && cause.getMessage().contains("Too many open files); not a disk fault"),
                    cause.getMessage());
            String why = victim.node.status().explanation();
            assertTrue(why.contains("out of file descriptors") && !why.contains("storage"
                    + " failure"), why);
            finishAfterResume(c, victim, acked);
        }
    }

    /** While the victim is away: it is silent, refuses work, and the others go on. */
    private static void checkOutage(FileCluster c, FileCluster.Member victim,
            FileCluster.Member leader, List<String> acked) throws Exception {
        await("the victim's links closed", () -> victim.taps.get(0).closed());
        int sentBefore = victim.sent().size();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> victim.node.submit(bytes("refused")).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.RecoveringException.class, e.getCause());
        e = assertThrows(ExecutionException.class,
                () -> victim.node.sync().get(10, TimeUnit.SECONDS));
        assertInstanceOf(ZabException.RecoveringException.class, e.getCause());
        write(leader.node, "c", 30);
        acked.addAll(values("c", 30));
        assertEquals(1, victim.taps.size(), "no new transport while the disk fails");
        assertEquals(sentBefore, victim.sent().size(), "the victim sent something while away");
        assertTrue(victim.sent().stream().noneMatch(TapTransport.Sent::afterClose),
                "a message went out after the victim closed its links");
    }

    private static void finishAfterResume(FileCluster c, FileCluster.Member victim,
            List<String> acked) throws Exception {
        await("the victim resumed", () -> victim.node.resumes() >= 1
                && victim.node.failure().isEmpty());
        c.awaitBroadcast();
        write(victim.node, "d", 20);
        acked.addAll(values("d", 20));
        List<LedgerStateMachine.Entry> ledger = c.awaitConverged();
        List<String> values = ledger.stream().map(LedgerStateMachine.Entry::value).toList();
        assertEquals(values.size(), new HashSet<>(values).size(), "a txn delivered twice");
        assertTrue(values.containsAll(acked), "an acknowledged write was lost");
        Set<Zxid> zxids = ledger.stream().map(LedgerStateMachine.Entry::zxid)
                .collect(Collectors.toSet());
        for (Zxid z : promisedBy(victim)) {
            assertTrue(zxids.contains(z), "the victim acked " + z + ", which never committed");
        }
        assertTrue(victim.sm.restores() >= 1, "the state machine was not restored on resume");
    }

    /** The zxids a node promised to hold durably: its ACKs, ACKs of NEWLEADER and COMMITs. */
    private static Set<Zxid> promisedBy(FileCluster.Member m) {
        Set<Zxid> out = new HashSet<>();
        for (TapTransport.Sent s : m.sent()) {
            Message msg = s.message();
            if (msg instanceof Ack a) {
                out.add(a.zxid());
            } else if (msg instanceof AckNewLeader a) {
                out.add(a.zxid());
            } else if (msg instanceof Commit cm) {
                out.add(cm.zxid());
            }
        }
        out.remove(Zxid.ZERO);
        return out;
    }

    /** Opens a data directory as a restart would, and checks every promised zxid is there. */
    private static void checkFilesHold(Path dir, FileIo io, FileStorage.Options options,
            Set<Zxid> promised, String when) throws IOException {
        assertTrue(!promised.isEmpty(), "the node never acked anything");
        try (FileStorage s = FileStorage.open(dir, options, io)) {
            Recovery r = s.recover();
            Set<Zxid> logged = r.state().log().stream().map(Txn::zxid)
                    .collect(Collectors.toSet());
            for (Zxid z : promised) {
                assertTrue(!z.isAfter(r.state().snapshotZxid()) || logged.contains(z),
                        when + ": " + z + " was acked but is not durable (snapshot "
                                + r.state().snapshotZxid() + ", log " + logged.size()
                                + " txns up to " + r.state().log().stream().reduce(
                                        (a, b) -> b).map(Txn::zxid).orElse(null) + ")");
            }
        }
    }

    private Path copyOf(Path dir) throws IOException {
        Path target = tmp.resolve("copy-" + System.nanoTime());
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = target.resolve(dir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else if (!f.getFileName().toString().equals("lock")) {
                    Files.copy(f, t);
                }
            }
        }
        return target;
    }

    private static List<String> values(String prefix, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    /** Submits and keeps what succeeded; a leader change may fail some. */
    private static List<String> tryWrite(ZabNode via, String prefix, int count) throws Exception {
        List<CompletableFuture<SubmitResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(via.submit(bytes(prefix + i)));
        }
        List<String> ok = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try {
                get(futures.get(i));
                ok.add(prefix + i);
            } catch (ZabException e) {
                // Not acknowledged: the test does not count it.
            }
        }
        return ok;
    }
}
