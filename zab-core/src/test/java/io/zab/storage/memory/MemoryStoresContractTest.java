package io.zab.storage.memory;

import io.zab.storage.EpochStore;
import io.zab.storage.EpochStoreContract;
import io.zab.storage.MembershipStore;
import io.zab.storage.MembershipStoreContract;
import io.zab.storage.SnapshotStore;
import io.zab.storage.SnapshotStoreContract;
import org.junit.jupiter.api.Nested;

/** The memory stores are durable at once, so a restart keeps the same object. */
class MemoryStoresContractTest {
    @Nested
    class Epochs extends EpochStoreContract {
        @Override
        protected EpochStore create() {
            return new MemoryEpochStore();
        }

        @Override
        protected EpochStore restart(EpochStore store) {
            return store;
        }
    }

    @Nested
    class Snapshots extends SnapshotStoreContract {
        @Override
        protected SnapshotStore create() {
            return new MemorySnapshotStore();
        }

        @Override
        protected SnapshotStore restart(SnapshotStore store) {
            return store;
        }
    }

    @Nested
    class Memberships extends MembershipStoreContract {
        @Override
        protected MembershipStore create() {
            return new MemoryMembershipStore();
        }

        @Override
        protected MembershipStore restart(MembershipStore store) {
            return store;
        }
    }
}
