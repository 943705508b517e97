package io.zab.storage;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.memory.MemoryTxnLog;
import java.io.IOException;
import java.util.List;

/**
 * A memory log behind a wrapper, for tests that watch or hold some of its calls: override those,
 * the rest go to {@link #log}. Closing does nothing.
 */
public abstract class ForwardingTxnLog implements TxnLog {
    public final MemoryTxnLog log = new MemoryTxnLog();

    @Override
    public Zxid base() {
        return log.base();
    }

    @Override
    public Zxid lastZxid() {
        return log.lastZxid();
    }

    @Override
    public void append(List<Txn> txns) {
        log.append(txns);
    }

    @Override
    public void truncateAfter(Zxid lastKept) {
        log.truncateAfter(lastKept);
    }

    @Override
    public void reset(Zxid base) {
        log.reset(base);
    }

    @Override
    public void sync() throws IOException {
        log.sync();
    }

    @Override
    public List<Txn> readAfter(Zxid after) throws IOException {
        return log.readAfter(after);
    }

    @Override
    public void close() {
    }
}
