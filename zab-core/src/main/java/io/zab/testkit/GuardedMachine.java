package io.zab.testkit;

import io.zab.PeerId;
import io.zab.Role;
import io.zab.StateMachine;
import io.zab.Zxid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.Function;

/**
 * The host's state machine as the node sees it, with one lock around every call. zab calls a
 * state machine one call at a time, so a host's machine may have no locking of its own; the
 * kit takes the same lock to compare machines from the test's thread without racing the
 * delivery thread. The host's machine is never called by the kit outside this lock.
 */
final class GuardedMachine<S extends StateMachine> implements StateMachine {
    private final S machine;

    GuardedMachine(S machine) {
        this.machine = machine;
    }

    S machine() {
        return machine;
    }

    /** Runs {@code reader} on the host's machine while no call of the node is under way. */
    synchronized <R> R read(Function<? super S, ? extends R> reader) {
        return reader.apply(machine);
    }

    /** The machine's {@link StateMachine#snapshot} as bytes, taken between two deliveries. */
    synchronized byte[] snapshotBytes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        machine.snapshot(out);
        return out.toByteArray();
    }

    @Override
    public synchronized Object deliver(Zxid zxid, ByteBuffer txn) {
        return machine.deliver(zxid, txn);
    }

    @Override
    public synchronized void snapshot(OutputStream out) throws IOException {
        machine.snapshot(out);
    }

    /** The host's view; its writer runs later on the snapshot thread, outside the lock. */
    @Override
    public synchronized SnapshotWriter snapshotView() throws IOException {
        return machine.snapshotView();
    }

    @Override
    public synchronized void restore(InputStream in) throws IOException {
        machine.restore(in);
    }

    @Override
    public synchronized void roleChanged(Role role, long epoch, Optional<PeerId> leader) {
        machine.roleChanged(role, epoch, leader);
    }
}
