package io.zab.storage.memory;

import io.zab.storage.TxnLog;
import io.zab.storage.TxnLogContract;

class MemoryTxnLogContractTest extends TxnLogContract {
    @Override
    protected TxnLog create() {
        return new MemoryTxnLog();
    }

    @Override
    protected TxnLog crashAndReopen(TxnLog log) {
        ((MemoryTxnLog) log).crash();
        return log;
    }
}
