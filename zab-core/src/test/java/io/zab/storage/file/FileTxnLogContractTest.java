package io.zab.storage.file;

import io.zab.storage.ShmTempDir;
import io.zab.storage.TxnLog;
import io.zab.storage.TxnLogContract;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;

/** The contract on real files, with small segments so that rolls happen all the time. */
class FileTxnLogContractTest extends TxnLogContract {
    static final FileTxnLog.Options SMALL = new FileTxnLog.Options(4096, true);

    @TempDir(factory = ShmTempDir.class)
    Path dir;
    private CrashFs fs;

    @Override
    protected TxnLog create() throws IOException {
        fs = new CrashFs(dir);
        return FileTxnLog.open(dir.resolve("log"), SMALL, fs);
    }

    @Override
    protected TxnLog crashAndReopen(TxnLog log) throws IOException {
        fs.crash(CrashFs.Mode.LOSE_ALL, new Random(1));
        return FileTxnLog.open(dir.resolve("log"), SMALL, fs);
    }
}
