package io.zab.storage.file;

import io.zab.storage.EpochStore;
import io.zab.storage.EpochStoreContract;
import io.zab.storage.MembershipStore;
import io.zab.storage.MembershipStoreContract;
import io.zab.storage.SnapshotStore;
import io.zab.storage.SnapshotStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The epoch, snapshot and membership contracts on real files; a restart reopens the directory. */
class FileStoresContractTest {
    @TempDir
    Path dir;

    @Nested
    class Epochs extends EpochStoreContract {
        @Override
        protected EpochStore create() throws IOException {
            return FileEpochStore.open(dir);
        }

        @Override
        protected EpochStore restart(EpochStore store) throws IOException {
            return FileEpochStore.open(dir);
        }
    }

    @Nested
    class Snapshots extends SnapshotStoreContract {
        @Override
        protected SnapshotStore create() throws IOException {
            return FileSnapshotStore.open(dir.resolve("snapshots"), 2);
        }

        @Override
        protected SnapshotStore restart(SnapshotStore store) throws IOException {
            return FileSnapshotStore.open(dir.resolve("snapshots"), 2);
        }
    }

    @Nested
    class Memberships extends MembershipStoreContract {
        @Override
        protected MembershipStore create() throws IOException {
            return FileMembershipStore.open(dir);
        }

        @Override
        protected MembershipStore restart(MembershipStore store) throws IOException {
            return FileMembershipStore.open(dir);
        }
    }
}
