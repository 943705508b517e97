package io.zab.storage;

import static io.zab.storage.Txns.concat;
import static io.zab.storage.Txns.membershipTxn;
import static io.zab.storage.Txns.range;
import static io.zab.storage.Txns.txn;
import static io.zab.storage.Txns.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import io.zab.protocol.Txn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TxnLog} must do, bound to each implementation by a subclass. Crash tests
 * use a crash that loses everything not synced.
 */
public abstract class TxnLogContract {
    protected TxnLog log;

    /** A new, empty log. */
    protected abstract TxnLog create() throws IOException;

    /** A power cut that loses everything not synced, then the log as recovered. */
    protected abstract TxnLog crashAndReopen(TxnLog log) throws IOException;

    @BeforeEach
    void setUpLog() throws IOException {
        log = create();
    }

    @AfterEach
    void closeLog() throws IOException {
        log.close();
    }

    private void crash() throws IOException {
        log = crashAndReopen(log);
    }

    @Test
    void newLogIsEmpty() throws IOException {
        assertEquals(Zxid.ZERO, log.base());
        assertEquals(Zxid.ZERO, log.lastZxid());
        assertEquals(List.of(), log.readAfter(Zxid.ZERO));
    }

    @Test
    void readsBackWhatWasAppended() throws IOException {
        log.append(range(1, 1, 5));
        log.append(range(2, 1, 3));
        assertEquals(z(2, 3), log.lastZxid());
        assertEquals(concat(range(1, 1, 5), range(2, 1, 3)), log.readAfter(Zxid.ZERO));
        assertEquals(concat(range(1, 4, 5), range(2, 1, 3)), log.readAfter(z(1, 3)));
        assertEquals(range(2, 1, 3), log.readAfter(z(1, 5)));
        assertEquals(List.of(), log.readAfter(z(2, 3)));
        assertEquals(List.of(), log.readAfter(z(7, 0)));
    }

    @Test
    void rejectsAGapAndKeepsTheLog() throws IOException {
        log.append(range(1, 1, 3));
        assertThrows(IllegalStateException.class, () -> log.append(List.of(txn(1, 5))));
        assertThrows(IllegalStateException.class, () -> log.append(List.of(txn(2, 2))));
        assertThrows(IllegalStateException.class,
                () -> log.append(List.of(txn(1, 4), txn(1, 6))));
        assertEquals(z(1, 3), log.lastZxid());
        log.append(List.of(txn(1, 4)));
        assertEquals(range(1, 1, 4), log.readAfter(Zxid.ZERO));
    }

    @Test
    void appendsAnEmptyBatchAndEmptyPayloads() throws IOException {
        log.append(List.of());
        log.append(List.of(new Txn(z(1, 1), new byte[0])));
        log.sync();
        assertEquals(List.of(new Txn(z(1, 1), new byte[0])), log.readAfter(Zxid.ZERO));
    }

    @Test
    void keepsLargeTxns() throws IOException {
        List<Txn> big = List.of(txn(z(1, 1), 700_000), txn(z(1, 2), 3), txn(z(1, 3), 300_000));
        log.append(big);
        log.sync();
        assertEquals(big, log.readAfter(Zxid.ZERO));
        crash();
        assertEquals(big, log.readAfter(Zxid.ZERO));
    }

    @Test
    void membershipTxnsKeepTheirFlagThroughSyncCrashAndTruncation() throws IOException {
        List<Txn> mixed = List.of(txn(1, 1), membershipTxn(z(1, 2)), txn(1, 3),
                membershipTxn(z(1, 4)));
        log.append(mixed);
        assertEquals(mixed, log.readAfter(Zxid.ZERO));
        log.sync();
        crash();
        assertEquals(mixed, log.readAfter(Zxid.ZERO));
        assertEquals(mixed.subList(3, 4), log.readAfter(z(1, 3)));
        assertEquals(membershipTxn(z(1, 4)).newMembership(),
                log.readAfter(z(1, 3)).get(0).newMembership());
        log.truncateAfter(z(1, 2));
        log.append(List.of(membershipTxn(z(2, 1)), txn(2, 2)));
        log.sync();
        crash();
        assertEquals(List.of(txn(1, 1), membershipTxn(z(1, 2)), membershipTxn(z(2, 1)),
                txn(2, 2)), log.readAfter(Zxid.ZERO));
    }

    @Test
    void membershipTxnsAcrossSegmentsSurviveATruncationIntoAnOlderOne() throws IOException {
        List<Txn> all = new ArrayList<>();
        for (long c = 1; c <= 300; c++) {
            all.add(c % 7 == 0 ? membershipTxn(z(1, c)) : txn(z(1, c), 100));
        }
        log.append(all);
        log.sync();
        log.truncateAfter(z(1, 140));
        log.append(List.of(membershipTxn(z(2, 1))));
        log.sync();
        crash();
        List<Txn> kept = concat(all.subList(0, 140), List.of(membershipTxn(z(2, 1))));
        assertEquals(kept, log.readAfter(Zxid.ZERO));
        assertEquals(kept.subList(133, 141), log.readAfter(z(1, 133)));
    }

    @Test
    void truncateKeepsThePrefix() throws IOException {
        log.append(range(1, 1, 10));
        log.truncateAfter(z(1, 4));
        assertEquals(z(1, 4), log.lastZxid());
        assertEquals(range(1, 1, 4), log.readAfter(Zxid.ZERO));
        log.append(range(2, 1, 2));
        assertEquals(concat(range(1, 1, 4), range(2, 1, 2)), log.readAfter(Zxid.ZERO));
    }

    @Test
    void truncateToTheBaseEmptiesAndBelowItFails() throws IOException {
        log.append(range(1, 1, 3));
        log.truncateAfter(Zxid.ZERO);
        assertEquals(Zxid.ZERO, log.lastZxid());
        assertEquals(List.of(), log.readAfter(Zxid.ZERO));
        log.reset(z(3, 7));
        assertThrows(IllegalStateException.class, () -> log.truncateAfter(z(3, 6)));
    }

    @Test
    void truncateAtOrAfterTheEndChangesNothing() throws IOException {
        log.append(range(1, 1, 3));
        log.truncateAfter(z(1, 3));
        log.truncateAfter(z(4, 0));
        assertEquals(range(1, 1, 3), log.readAfter(Zxid.ZERO));
    }

    @Test
    void truncateToAZxidNotLoggedKeepsWhatIsBelowIt() throws IOException {
        log.append(range(1, 1, 3));
        log.append(range(3, 1, 2));
        log.truncateAfter(z(2, 9));
        assertEquals(range(1, 1, 3), log.readAfter(Zxid.ZERO));
        assertEquals(z(1, 3), log.lastZxid());
    }

    @Test
    void resetStartsAfterTheNewBase() throws IOException {
        log.append(range(1, 1, 5));
        log.reset(z(4, 9));
        assertEquals(z(4, 9), log.base());
        assertEquals(z(4, 9), log.lastZxid());
        assertEquals(List.of(), log.readAfter(Zxid.ZERO));
        log.append(range(4, 10, 12));
        assertEquals(range(4, 10, 12), log.readAfter(Zxid.ZERO));
        assertEquals(range(4, 12, 12), log.readAfter(z(4, 11)));
        assertThrows(IllegalStateException.class, () -> log.append(List.of(txn(4, 14))));
    }

    @Test
    void resetMayGoBackwards() throws IOException {
        log.reset(z(5, 5));
        log.append(range(5, 6, 7));
        log.reset(z(2, 1));
        assertEquals(z(2, 1), log.base());
        log.append(range(2, 2, 3));
        assertEquals(range(2, 2, 3), log.readAfter(Zxid.ZERO));
    }

    @Test
    void syncedTxnsSurviveACrash() throws IOException {
        log.append(range(1, 1, 20));
        log.sync();
        log.append(range(1, 21, 25));
        crash();
        List<Txn> after = log.readAfter(Zxid.ZERO);
        assertTrue(after.size() >= 20, "lost synced txns: " + after.size());
        assertEquals(range(1, 1, after.size()), after, "a prefix survives");
        assertEquals(after.get(after.size() - 1).zxid(), log.lastZxid());
        log.append(List.of(txn(1, after.size() + 1)));
        log.sync();
    }

    @Test
    void aSyncedTruncationAndResetSurviveACrash() throws IOException {
        log.append(range(1, 1, 10));
        log.sync();
        log.truncateAfter(z(1, 6));
        log.append(range(2, 1, 3));
        log.sync();
        crash();
        assertEquals(concat(range(1, 1, 6), range(2, 1, 3)), log.readAfter(Zxid.ZERO));
        log.reset(z(3, 3));
        log.append(range(3, 4, 5));
        log.sync();
        crash();
        assertEquals(z(3, 3), log.base());
        assertEquals(range(3, 4, 5), log.readAfter(Zxid.ZERO));
    }

    @Test
    void anUnsyncedTruncationIsAllOrNothing() throws IOException {
        log.append(range(1, 1, 10));
        log.sync();
        log.truncateAfter(z(1, 3));
        log.append(range(2, 1, 4));
        crash();
        List<Txn> after = log.readAfter(Zxid.ZERO);
        List<Txn> truncated = concat(range(1, 1, 3), range(2, 1, 4));
        boolean ok = after.equals(range(1, 1, 10)) || after.size() >= 3
                && after.size() <= truncated.size()
                && truncated.subList(0, after.size()).equals(after);
        assertTrue(ok, "not a prefix of the operations: " + after);
    }

    @Test
    void manyTxnsAcrossSegments() throws IOException {
        for (int b = 0; b < 50; b++) {
            log.append(range(1, b * 40 + 1, b * 40 + 40, 100));
            if (b % 7 == 0) {
                log.sync();
            }
        }
        log.sync();
        assertEquals(range(1, 1, 2000, 100), log.readAfter(Zxid.ZERO));
        assertEquals(range(1, 1501, 2000, 100), log.readAfter(z(1, 1500)));
        log.truncateAfter(z(1, 777));
        log.sync();
        crash();
        assertEquals(range(1, 1, 777, 100), log.readAfter(Zxid.ZERO));
        assertEquals(range(1, 701, 777, 100), log.readAfter(z(1, 700)));
    }

    /** A bounded read returns the head of the unbounded one: within the bound, never empty. */
    @Test
    void aBoundedReadReturnsTheHeadThatFitsAndAtLeastOneTxn() throws IOException {
        for (int b = 0; b < 20; b++) {
            log.append(range(1, b * 50 + 1, b * 50 + 50, 100));
        }
        log.append(range(2, 1, 10, 100));
        log.sync();
        assertEquals(range(1, 11, 13, 100), log.readAfter(z(1, 10), 350));
        assertEquals(range(1, 11, 13, 100), log.readAfter(z(1, 10), 300));
        assertEquals(range(1, 11, 11, 100), log.readAfter(z(1, 10), 1), "one txn over the bound");
        assertEquals(concat(range(1, 991, 1000, 100), range(2, 1, 5, 100)),
                log.readAfter(z(1, 990), 1500), "across the epochs");
        assertEquals(range(1, 401, 700, 100), log.readAfter(z(1, 400), 30_000),
                "across segments");
        assertEquals(List.of(), log.readAfter(z(2, 10), 1000));
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        List<Txn> all = log.readAfter(Zxid.ZERO);
        for (int i = 0; i < 200; i++) {
            int from = random.nextInt(all.size());
            long max = 1 + random.nextInt(20_000);
            List<Txn> got = log.readAfter(all.get(from).zxid(), max);
            int n = Math.min(all.size() - from - 1, (int) Math.max(1, max / 100));
            assertEquals(all.subList(from + 1, from + 1 + n), got, "after " + from + ", " + max);
        }
        assertThrows(IllegalArgumentException.class, () -> log.readAfter(Zxid.ZERO, 0));
    }

    /** A purge keeps every txn above its bound; the base rises to at most the bound. */
    @Test
    void aPurgeKeepsEveryTxnAboveItsBound() throws IOException {
        for (int b = 0; b < 20; b++) {
            log.append(range(1, b * 50 + 1, b * 50 + 50, 100));
            log.sync();
        }
        log.purge(z(1, 620));
        assertTrue(!log.base().isAfter(z(1, 620)), "base " + log.base());
        List<Txn> kept = log.readAfter(log.base());
        assertTrue(log.base().isFollowedBy(kept.get(0).zxid()),
                "the log goes on right after its base " + log.base() + ": " + kept.get(0));
        assertEquals(range(1, 621, 1000, 100), log.readAfter(z(1, 620)));
        assertEquals(range(1, 621, 623, 100), log.readAfter(z(1, 620), 300));
        log.append(range(1, 1001, 1010, 100));
        log.sync();
        crash();
        assertEquals(range(1, 621, 1010, 100), log.readAfter(z(1, 620)));
    }
}
