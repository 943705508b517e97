package io.zab.protocol.quorum;

import io.zab.PeerId;
import io.zab.Zxid;

/** Array helpers of the quorum arithmetic. */
final class Tallies {
    private Tallies() {
    }

    /** Insertion sort from the highest position: a handful of voters, no allocation. */
    static void sortDescending(PeerId[] ids, Zxid[] positions, int n) {
        for (int i = 1; i < n; i++) {
            PeerId id = ids[i];
            Zxid z = positions[i];
            int j = i - 1;
            while (j >= 0 && positions[j].compareTo(z) < 0) {
                ids[j + 1] = ids[j];
                positions[j + 1] = positions[j];
                j--;
            }
            ids[j + 1] = id;
            positions[j + 1] = z;
        }
    }
}
