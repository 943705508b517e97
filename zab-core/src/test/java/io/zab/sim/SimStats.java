package io.zab.sim;

import io.zab.protocol.Outcome;
import io.zab.protocol.message.Diff;
import io.zab.protocol.message.Message;
import io.zab.protocol.message.Snap;
import io.zab.protocol.message.Trunc;

/**
 * What a run exercised, so a green run can be told from a run that never reached the
 * interesting paths: faults injected, leaders established, sync modes, request outcomes.
 *
 * <p>One thread per instance; {@link #add} sums runs afterwards.
 */
public final class SimStats {
    long crashes;
    long pauses;
    long wipes;
    /** Leaders crashed at a step of a learner's catch-up from the log (RandomRun.runLogSync). */
    long catchUpCrashes;
    /** Membership changes asked (RandomRun with changes). */
    long membershipChanges;
    long changesInFlight;
    /** Membership changes whose txn the asking node delivered (committed). */
    long changesDone;
    long connectionBreaks;
    long partitions;
    long leaders;
    long diffs;
    long truncs;
    long snaps;
    long snapChunks;
    /** Reads of a leader's log for learners (DIFF from the log), and those that failed. */
    long logReads;
    long logReadsFailed;
    /** Purges of a log (periodic snapshots). */
    long purges;
    long messages;
    long messagesLost;
    long succeeded;
    long synced;
    /** Leadership transfers that ended (done, refused or timed out). */
    long transfers;
    long notLeader;
    long unknown;
    long overloaded;
    long tooLarge;
    long lostInCrash;

    void onSend(Message m) {
        if (m instanceof Diff) {
            diffs++;
        } else if (m instanceof Trunc) {
            truncs++;
        } else if (m instanceof Snap) {
            snaps++;
        } else if (m instanceof io.zab.protocol.message.SnapChunk) {
            snapChunks++;
        }
    }

    void onOutcome(Outcome o) {
        switch (o.kind()) {
            case SYNCED -> synced++;
            case NOT_LEADER -> notLeader++;
            case OUTCOME_UNKNOWN -> unknown++;
            case OVERLOADED -> overloaded++;
            case TOO_LARGE -> tooLarge++;
            case TRANSFERRED, REFUSED, TIMED_OUT -> transfers++;
            case CHANGE_IN_FLIGHT -> changesInFlight++;
            default -> throw new IllegalArgumentException("unknown outcome " + o);
        }
    }

    public void add(SimStats o) {
        crashes += o.crashes;
        pauses += o.pauses;
        wipes += o.wipes;
        catchUpCrashes += o.catchUpCrashes;
        membershipChanges += o.membershipChanges;
        changesInFlight += o.changesInFlight;
        changesDone += o.changesDone;
        connectionBreaks += o.connectionBreaks;
        partitions += o.partitions;
        leaders += o.leaders;
        diffs += o.diffs;
        truncs += o.truncs;
        snaps += o.snaps;
        snapChunks += o.snapChunks;
        logReads += o.logReads;
        logReadsFailed += o.logReadsFailed;
        purges += o.purges;
        messages += o.messages;
        messagesLost += o.messagesLost;
        succeeded += o.succeeded;
        synced += o.synced;
        transfers += o.transfers;
        notLeader += o.notLeader;
        unknown += o.unknown;
        overloaded += o.overloaded;
        tooLarge += o.tooLarge;
        lostInCrash += o.lostInCrash;
    }

    @Override
    public String toString() {
        return "faults: " + crashes + " crashes (" + wipes + " with a wiped disk"
                + (catchUpCrashes == 0 ? "" : ", " + catchUpCrashes + " of a leader at a"
                        + " catch-up from the log") + "), " + pauses
                + " pauses, " + partitions
                + " partitions, "
                + connectionBreaks + " broken connections; " + leaders
                + " leaders established; "
                + "sync: " + diffs + " DIFF, " + truncs + " TRUNC, " + snaps + " SNAP ("
                + snapChunks + " chunks), " + logReads + " log reads (" + logReadsFailed + " failed), "
                + purges + " log purges; "
                + messages + " messages (" + messagesLost + " lost); requests: " + succeeded
                + " written, " + synced + " synced, " + notLeader + " NOT_LEADER, " + unknown
                + " OUTCOME_UNKNOWN, " + overloaded + " OVERLOADED, " + tooLarge
                + " TOO_LARGE, " + lostInCrash + " lost in a crash"
                + (membershipChanges == 0 ? "" : "; " + membershipChanges
                        + " membership changes asked, " + changesDone + " committed, "
                        + changesInFlight
                        + " refused as CHANGE_IN_FLIGHT");
    }
}
