package io.zab.runtime;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import io.zab.storage.TxnLog;
import java.io.IOException;
import java.util.List;

/**
 * A {@link TxnLog} that remembers the last zxid known to be durable: the log's last zxid after
 * every {@link #sync} that returned. A truncation or reset can only lower the mark (the
 * {@link TxnLog} contract makes them durable only at the next sync, though the file log makes
 * them durable at once). After a storage failure that mark is all the node may trust: a failed
 * force can leave written but never durable records readable from the page cache (fsyncgate),
 * so reopening the files is not enough; the runtime cuts the log back to this mark before it
 * rejoins.
 *
 * <p>Used by the log-writer thread; {@link #durableMark} may be read from any thread.
 */
final class DurableMarkLog implements TxnLog {
    private final TxnLog log;
    private volatile Zxid durable;

    /** Wraps a log just opened, whose content is taken as durable. */
    DurableMarkLog(TxnLog log) {
        this.log = log;
        this.durable = log.lastZxid();
    }

    /** Every logged txn up to this zxid is durable; what was logged after it may not be. */
    Zxid durableMark() {
        return durable;
    }

    @Override
    public Zxid base() {
        return log.base();
    }

    @Override
    public Zxid lastZxid() {
        return log.lastZxid();
    }

    @Override
    public void append(List<Txn> txns) throws IOException {
        log.append(txns);
    }

    @Override
    public void truncateAfter(Zxid lastKept) throws IOException {
        log.truncateAfter(lastKept);
        durable = Zxid.min(durable, log.lastZxid());
    }

    @Override
    public void reset(Zxid base) throws IOException {
        log.reset(base);
        durable = Zxid.min(durable, log.lastZxid());
    }

    @Override
    public void sync() throws IOException {
        log.sync();
        durable = log.lastZxid();
    }

    @Override
    public List<Txn> readAfter(Zxid after) throws IOException {
        return log.readAfter(after);
    }

    @Override
    public List<Txn> readAfter(Zxid after, long maxBytes) throws IOException {
        return log.readAfter(after, maxBytes);
    }

    @Override
    public void purge(Zxid upTo) throws IOException {
        log.purge(upTo);
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
