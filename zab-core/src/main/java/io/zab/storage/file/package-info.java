/**
 * Durable stores in files: {@link io.zab.storage.file.FileTxnLog} (segmented log of CRC'd
 * records, group commit, torn-tail recovery), {@link io.zab.storage.file.FileSnapshotStore},
 * {@link io.zab.storage.file.FileEpochStore} and {@link io.zab.storage.file.FileMembershipStore}
 * (temp file, force, rename, force the directory), and
 * {@link io.zab.storage.file.FileStorage}, the layout of a node's data directory. Each store is
 * used by one thread at a time. The one thread of this package is the log's own, which prepares
 * the next segment file ahead (a spare under a temp name) and hands it over without either side
 * waiting for the other; the log starts it, and stops it when closed.
 */
package io.zab.storage.file;
