package io.zab.protocol.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zab.Zxid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sync choice against a naive model: random Zab-shaped histories (each epoch a gapless run
 * from counter 1, a later epoch starting after some prefix of an earlier history), where the
 * leader's plan applied to the learner's real history must give exactly the leader's history.
 */
class SyncPlannerTest {
    private record ListHistory(Zxid base, List<Zxid> zxids) implements HistoryView {
        @Override
        public Zxid last() {
            return zxids.isEmpty() ? base : zxids.get(zxids.size() - 1);
        }

        @Override
        public boolean contains(Zxid z) {
            return z.equals(base) || zxids.contains(z);
        }

        @Override
        public Zxid floor(Zxid z) {
            Zxid best = base;
            for (Zxid x : zxids) {
                if (!x.isAfter(z)) {
                    best = x;
                }
            }
            return best;
        }
    }

    @Test
    void planTurnsAnyLearnerHistoryIntoTheLeaders() {
        SplittableRandom random = new SplittableRandom(42);
        int snaps = 0;
        int truncs = 0;
        for (int i = 0; i < 20_000; i++) {
            List<List<Zxid>> histories = histories(random);
            List<Zxid> leader = histories.get(0);
            List<Zxid> learner = histories.get(1);
            int cut = random.nextInt(4) == 0 ? random.nextInt(leader.size() + 1) : 0;
            Zxid base = cut == 0 ? Zxid.ZERO : leader.get(cut - 1);
            ListHistory view = new ListHistory(base, leader.subList(cut, leader.size()));
            Zxid learnerLast = learner.isEmpty() ? Zxid.ZERO : learner.get(learner.size() - 1);
            SyncPlan plan = SyncPlanner.plan(view, learnerLast);
            if (plan.mode() == SyncMode.SNAP) {
                snaps++;
                continue;
            }
            truncs += plan.mode() == SyncMode.TRUNC ? 1 : 0;
            List<Zxid> result = new ArrayList<>();
            for (Zxid z : learner) {
                if (!z.isAfter(plan.from())) {
                    result.add(z);
                }
            }
            assertTrue(result.isEmpty() && plan.from().equals(Zxid.ZERO)
                    || result.get(result.size() - 1).equals(plan.from()),
                    "the kept point is in the learner's history: " + plan + " " + learner);
            for (Zxid z : leader) {
                if (z.isAfter(plan.from())) {
                    result.add(z);
                }
            }
            assertEquals(leader, result, "leader " + leader + " learner " + learner + " " + plan);
        }
        assertTrue(snaps > 100 && truncs > 100, "both rare modes exercised: " + snaps + "/"
                + truncs);
    }

    /** A tree of histories: epoch e extends a prefix of some earlier history. */
    private static List<List<Zxid>> histories(SplittableRandom r) {
        List<List<Zxid>> all = new ArrayList<>();
        all.add(new ArrayList<>());
        int epochs = 1 + r.nextInt(4);
        for (int e = 1; e <= epochs; e++) {
            List<Zxid> parent = all.get(r.nextInt(all.size()));
            List<Zxid> h = new ArrayList<>(parent.subList(0, r.nextInt(parent.size() + 1)));
            int n = r.nextInt(5);
            for (int c = 1; c <= n; c++) {
                h.add(new Zxid(e, c));
            }
            all.add(h);
            // A node may have logged only part of its epoch's proposals.
            all.add(new ArrayList<>(h.subList(0, r.nextInt(h.size() + 1))));
        }
        List<Zxid> leader = all.get(r.nextInt(all.size()));
        List<Zxid> learner = all.get(r.nextInt(all.size()));
        return List.of(leader, learner);
    }
}
