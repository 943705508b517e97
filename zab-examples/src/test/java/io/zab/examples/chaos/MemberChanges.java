package io.zab.examples.chaos;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The membership side of {@link Nemesis} (issue 17): servers added, removed and replaced
 * through the HTTP API of a live member while the clients run, and who the members are now.
 *
 * <p>Every node of the {@link ProcessCluster} is a slot: the founders start as the voters, the
 * others are spares (never started, empty data directory). An add starts a spare with
 * {@code --join} through a member, which asks for itself, and half the time the nemesis also
 * sends {@code PUT /members/{id} voter=HOST:PORT} through another member. A removal is a
 * {@code DELETE /members/{id}} (the leader half the time). A replace is an add, then a
 * removal. Once a removal commits, the server is stopped (SIGTERM) and its data directory
 * wiped: the slot is a spare again, and a later add brings it back as a fresh {@code --join}
 * with the same id and address. A third of the changes get a kill -9 of a member (the leader
 * half the time) while they are in flight, restarted a moment later.
 *
 * <p>Who the members are is read, never assumed: {@link #reconcile} takes the newest committed
 * membership the members list ({@code GET /members}, the highest version) and starts the voters
 * that are down and retires servers it no longer lists, so a change whose answer was lost (504,
 * a killed member) is accounted for when it commits later. A change starts only when every
 * voter lists the same membership with no change in flight, which keeps the voters at 3 or
 * more, and a removal only when the voters that answer, less the one removed and less a member
 * killed during the change, still make a quorum of the old and of the new voters.
 *
 * <p>One thread (the nemesis's), except {@link #members}, which the clients read.
 */
final class MemberChanges {
    static final int MIN_VOTERS = 3;
    /** Longer than the servers' --timeout-ms (3 s): a member answers first, 503 or 504. */
    private static final Duration CALL = Duration.ofSeconds(10);
    /** For a joiner to start, catch up and be added, asking every second (ClusterJoin). */
    private static final Duration ADD_WAIT = Duration.ofSeconds(30);
    /** For a change whose answer was lost or refused to show committed or settled. */
    private static final Duration RESOLVE_WAIT = Duration.ofSeconds(10);
    private static final int REMOVE_ATTEMPTS = 3;
    private static final Pattern VERSION = Pattern.compile("\"version\":\"0x([0-9a-f]+)\"");
    private static final Pattern VOTERS = Pattern.compile("\"voters\":\\{([^}]*)\\}");
    private static final Pattern ID = Pattern.compile("\"(\\d+)\":");

    /** What one member's {@code GET /members} says: the committed membership and a change. */
    record View(long version, Set<Integer> voters, boolean changing) {
    }

    private final ProcessCluster cluster;
    private final Set<Integer> founders = new TreeSet<>();
    private final SplittableRandom random;
    private final Consumer<String> note;
    private final long epochNanos;
    /** The voters of the newest committed membership seen; the clients' targets. */
    private volatile List<Integer> members;
    /** Down with an empty data directory: what an add starts. */
    private final Set<Integer> spares = new TreeSet<>();
    /**
     * Down with its data kept: a joiner stopped while its add was unresolved. It may still
     * commit (a new leader finishes a change it finds in its log), and then the node acked it.
     */
    private final Set<Integer> limbo = new TreeSet<>();
    /** Members started again with an empty data directory (a late add of a spare). */
    private final Set<Integer> blank = new TreeSet<>();
    private final List<String> changes = new ArrayList<>();
    private int asked;
    private int adds;
    private int removals;
    private int replaces;
    private int committed;
    private int refused;
    private int late;
    private int unresolved;
    private int kills;
    private int rotation;

    /**
     * @param founders nodes 1 to this many are the starting voters; the others are spares
     * @param note the nemesis's log, with times
     * @param epochNanos the run's start (System.nanoTime), for the times of the report
     */
    MemberChanges(ProcessCluster cluster, int founders, SplittableRandom random,
            Consumer<String> note, long epochNanos) {
        this.cluster = cluster;
        this.random = random;
        this.note = note;
        this.epochNanos = epochNanos;
        for (int id = 1; id <= cluster.size(); id++) {
            (id <= founders ? this.founders : spares).add(id);
        }
        members = List.copyOf(this.founders);
        // A node that joined restarts with --join through a member that is up at that moment.
        cluster.joinVia(this::via);
    }

    /** The voters as last seen, in id order: where the clients send. Any thread. */
    List<Integer> members() {
        return members;
    }

    /** Members started blank since the last call: the nemesis watches them sync (S26). */
    Set<Integer> takeBlank() {
        Set<Integer> out = new TreeSet<>(blank);
        blank.clear();
        return out;
    }

    /** Whether the voters are the founders still (a wiped founder may restart with --peers). */
    boolean foundersOnly() {
        return members.equals(List.copyOf(founders));
    }

    /** A serving member other than {@code id}, in turn; 0 when none is up. */
    int via(int id) {
        List<Integer> m = members;
        for (int i = 0; i < m.size(); i++) {
            int candidate = m.get(Math.floorMod(rotation++, m.size()));
            if (candidate != id && cluster.isServing(candidate)) {
                return candidate;
            }
        }
        return 0;
    }

    /** What one node lists, or null if it does not answer. */
    View view(int id) {
        if (!cluster.isServing(id)) {
            return null;
        }
        try {
            HttpResponse<String> r = cluster.call(id, "GET", "/members", null,
                    Duration.ofSeconds(2));
            return r.statusCode() == 200 ? parse(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A {@code GET /members} body: its committed membership, and whether a change is seen. */
    static View parse(String body) {
        Matcher v = VERSION.matcher(body);
        Matcher voters = VOTERS.matcher(body);
        if (!v.find() || !voters.find()) {
            throw new IllegalArgumentException("not a /members answer: " + body);
        }
        Set<Integer> ids = new TreeSet<>();
        Matcher m = ID.matcher(voters.group(1));
        while (m.find()) {
            ids.add(Integer.parseInt(m.group(1)));
        }
        return new View(Long.parseUnsignedLong(v.group(1), 16), Set.copyOf(ids),
                !body.contains("\"change\":null"));
    }

    /** The newest membership the members list, or null when none answers. */
    private View newest() {
        View best = null;
        for (int id : members) {
            View v = view(id);
            if (v != null && (best == null || Long.compareUnsigned(v.version, best.version) > 0)) {
                best = v;
            }
        }
        return best;
    }

    /**
     * The newest membership when it is settled: each of its voters answers, lists it and sees
     * no change in flight. Null otherwise.
     */
    private View settled() {
        View newest = newest();
        if (newest == null || newest.changing) {
            return null;
        }
        for (int id : newest.voters) {
            View v = view(id);
            if (v == null || v.version != newest.version || v.changing) {
                return null;
            }
        }
        return newest;
    }

    /**
     * Takes the newest committed membership as the truth: a voter that is down is started (a
     * late add), a member it no longer lists is retired (a late removal). Returns it, or null
     * when no member answers.
     */
    View reconcile() throws IOException, InterruptedException {
        View v = newest();
        if (v == null) {
            return null;
        }
        for (int id : v.voters) {
            if (!members.contains(id)) {
                lateAdd(id, v);
            }
        }
        for (int id : members) {
            if (!v.voters.contains(id)) {
                note.accept("membership: node " + id + " is not in membership 0x"
                        + Long.toHexString(v.version) + " " + v.voters + ": removed by a change"
                        + " whose answer was lost");
                late++;
                retire(id, v);
            }
        }
        publish(v.voters);
        return v;
    }

    private void lateAdd(int id, View v) throws IOException {
        late++;
        boolean wasBlank = spares.remove(id);
        limbo.remove(id);
        note.accept("membership: node " + id + " is a voter of membership 0x"
                + Long.toHexString(v.version) + " " + v.voters + " after all (an add whose"
                + " answer was lost)" + (wasBlank ? "; its data directory was wiped: it"
                + " restarts blank and abstains until synced" : "") + "; started");
        if (wasBlank) {
            blank.add(id);
        }
        if (!cluster.isRunning(id)) {
            cluster.joinVia(id, firstServing(id));
            cluster.start(id);
        }
    }

    private int firstServing(int except) {
        int v = via(except);
        return v != 0 ? v : members.stream().filter(m -> m != except).findFirst().orElseThrow();
    }

    private void publish(Set<Integer> voters) {
        members = List.copyOf(new TreeSet<>(voters));
    }

    /**
     * Stops a server the committed membership no longer lists and wipes its data directory:
     * its slot is a spare again.
     */
    private void retire(int id, View v) throws IOException, InterruptedException {
        List<Integer> now = new ArrayList<>(members);
        now.remove(Integer.valueOf(id));
        members = List.copyOf(now); // the clients first: no request sent to it from now on
        if (cluster.isRunning(id)) {
            cluster.stop(id);
        }
        cluster.wipe(id);
        spares.add(id);
        note.accept("membership: node " + id + " stopped (SIGTERM) and wiped, a spare again;"
                + " voters " + (v == null ? now : v.voters));
    }

    /**
     * One change chosen at random among those the membership allows now: an add, a removal or
     * a replace. False when none is allowed (the membership is not settled, or a removal
     * would leave no quorum): the nemesis injects another fault instead.
     */
    boolean change() throws IOException, InterruptedException {
        resolveLimbo();
        View v = settled();
        if (v == null || !v.voters.equals(Set.copyOf(members)) || !limbo.isEmpty()) {
            note.accept("membership: not settled (" + (v == null ? "a change in flight or a"
                    + " voter not answering" : "voters " + v.voters + " vs " + members)
                    + "); no change this time");
            return false;
        }
        Set<Integer> healthy = healthy();
        boolean withKill = random.nextInt(3) == 0 && healthy.containsAll(members);
        List<String> kinds = new ArrayList<>();
        if (!spares.isEmpty()) {
            kinds.add("add");
            kinds.add("replace");
        }
        if (members.size() > MIN_VOTERS) {
            kinds.add("remove");
        }
        if (kinds.isEmpty()) {
            return false;
        }
        String kind = kinds.get(random.nextInt(kinds.size()));
        if (kind.equals("remove")) {
            int gone = removable(healthy, withKill, 0);
            if (gone != 0) {
                remove(gone, withKill, "");
            }
            return gone != 0;
        }
        int spare = List.copyOf(spares).get(random.nextInt(spares.size()));
        String tag = kind.equals("replace") ? "replace: " : "";
        replaces += tag.isEmpty() ? 0 : 1;
        boolean added = add(spare, withKill && kind.equals("add"), tag);
        if (kind.equals("replace") && added) {
            int gone = removable(healthy(), withKill, spare);
            if (gone != 0) {
                remove(gone, withKill, tag);
            }
        }
        return true;
    }

    /** Members that answer and vote (not blank and unsynced). */
    private Set<Integer> healthy() {
        Set<Integer> out = new TreeSet<>();
        for (int id : members) {
            String s = cluster.status(id);
            if (s != null && !s.contains("\"abstaining\":true")) {
                out.add(id);
            }
        }
        return out;
    }

    /**
     * A voter whose removal leaves a quorum of the old and of the new voters among the healthy
     * ones, one fewer with a kill planned: the leader half the time, never {@code keep} (the
     * server a replace just added). 0 when none.
     */
    private int removable(Set<Integer> healthy, boolean withKill, int keep) {
        if (members.size() <= MIN_VOTERS) {
            return 0;
        }
        List<Integer> order = new ArrayList<>(members);
        order.remove(Integer.valueOf(keep));
        Collections.shuffle(order, new java.util.Random(random.nextLong()));
        Integer leader = random.nextBoolean() ? cluster.leader() : null;
        if (leader != null && order.remove(leader)) {
            order.add(0, leader);
        }
        int down = withKill ? 1 : 0;
        for (int gone : order) {
            Set<Integer> after = new TreeSet<>(members);
            after.remove(gone);
            if (quorumOf(members, healthy, down) && quorumOf(after, healthy, down)) {
                return gone;
            }
        }
        note.accept("membership: no removal leaves a quorum (healthy " + healthy + " of "
                + members + ")");
        return 0;
    }

    /** Whether the healthy ones of {@code voters}, {@code down} fewer, are a majority. */
    static boolean quorumOf(Iterable<Integer> voters, Set<Integer> healthy, int down) {
        int size = 0;
        int up = 0;
        for (int id : voters) {
            size++;
            up += healthy.contains(id) ? 1 : 0;
        }
        return up - down >= size / 2 + 1;
    }

    /**
     * A joiner stopped with its add unresolved: a voter after all is started again with its
     * data; one the settled membership leaves out is wiped, a spare again.
     */
    private void resolveLimbo() throws IOException, InterruptedException {
        if (limbo.isEmpty()) {
            return;
        }
        reconcile();
        View v = settled();
        if (v != null) {
            for (int id : new ArrayList<>(limbo)) {
                limbo.remove(id);
                cluster.wipe(id);
                spares.add(id);
                note.accept("membership: node " + id + "'s add did not commit (membership 0x"
                        + Long.toHexString(v.version) + " " + v.voters + "); wiped, a spare"
                        + " again");
            }
        }
    }

    // ---- add ----

    /**
     * Starts {@code spare} with --join through a member; half the time the nemesis also asks
     * for it through another member. Whether it became a voter within {@link #ADD_WAIT}: if
     * not, it is stopped and the outcome read from the membership.
     */
    private boolean add(int spare, boolean withKill, String tag)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        int via = via(spare);
        if (via == 0) {
            return false;
        }
        asked++;
        adds++;
        cluster.joinVia(spare, via);
        spares.remove(spare);
        note.accept("membership: " + tag + "add node " + spare + ": start it with --join through"
                + " node " + via);
        cluster.start(spare);
        CompletableFuture<HttpResponse<String>> ours = null;
        int through = 0;
        if (random.nextBoolean() && awaitServing(spare)) {
            through = via(spare);
            ours = cluster.callAsync(through, "PUT", "/members/" + spare,
                    "voter=" + cluster.quorumAddress(spare), CALL);
            note.accept("membership: PUT /members/" + spare + " through node " + through);
        }
        String killed = withKill ? killDuring(spare) : "";
        boolean added = awaitVoter(spare, t0 + ADD_WAIT.toNanos());
        String answer = killed + (ours == null ? "" : "; our PUT through node " + through
                + " answered " + answer(ours));
        if (added) {
            committed++;
            record(tag + "+" + spare + " via " + via + ": committed in " + ms(t0) + " ms"
                    + answer);
            return true;
        }
        cluster.kill9(spare);
        // The leader may be waiting for the joiner to catch up (half the servers' 3 s
        // timeout) and propose after all: read the outcome once that wait is over.
        Thread.sleep(2_000);
        View v = resolve(spare, true);
        if (v != null && v.voters.contains(spare)) {
            committed++;
            cluster.start(spare);
            publish(v.voters);
            record(tag + "+" + spare + " via " + via + ": committed late" + answer);
            return true;
        }
        refused++;
        limbo.add(spare);
        record(tag + "+" + spare + " via " + via + ": not added within " + ADD_WAIT.toSeconds()
                + " s" + answer + "; stopped, " + (v == null ? "outcome unresolved" : "not a"
                + " voter"));
        resolveLimbo();
        return false;
    }

    /** Whether the joiner's HTTP API answers within 15 s (the JVM starts on a busy host). */
    private boolean awaitServing(int id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (int i = 0; i < 75 && System.nanoTime() - deadline < 0; i++) {
            if (cluster.status(id) != null) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private boolean awaitVoter(int id, long deadline) throws IOException, InterruptedException {
        // Each round costs at least the 250 ms pause: the count bounds it if the clock does not.
        for (int i = 0; i < 4 * ADD_WAIT.toSeconds() && System.nanoTime() - deadline < 0; i++) {
            for (int exited : cluster.restartExited()) {
                // e.g. a joiner that found its --join member down (killed) and gave up
                note.accept("node " + exited + " had exited by itself; started again");
            }
            View v = newest();
            if (v != null && v.voters.contains(id)) {
                publish(v.voters);
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    // ---- remove ----

    /**
     * DELETE /members/{gone} through a member, asked again on 409 and 503 (at most {@link
     * #REMOVE_ATTEMPTS} times); once committed, the server is retired. A lost answer (504, a
     * connection lost) is read from the membership.
     */
    private boolean remove(int gone, boolean withKill, String tag)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        boolean wasLeader = cluster.leads(gone);
        asked++;
        removals++;
        String what = tag + "-" + gone + (wasLeader ? " (the leader)" : "");
        List<String> answers = new ArrayList<>();
        String killed = "";
        for (int attempt = 1; attempt <= REMOVE_ATTEMPTS; attempt++) {
            int via = pickAsker();
            note.accept("membership: " + what + ": DELETE /members/" + gone + " through node "
                    + via);
            CompletableFuture<HttpResponse<String>> f = cluster.callAsync(via, "DELETE",
                    "/members/" + gone, null, CALL);
            if (withKill && attempt == 1) {
                killed = killDuring(gone);
            }
            String a = answer(f);
            answers.add("node " + via + ": " + a + killed);
            killed = "";
            if (a.startsWith("200")) {
                committed++;
                record(what + ": committed in " + ms(t0) + " ms (" + String.join("; ", answers)
                        + ")");
                retire(gone, null);
                return true;
            }
            if (!a.startsWith("409") && !a.startsWith("503")) {
                return unknownRemoval(gone, what, answers);
            }
            Thread.sleep(1_000);
        }
        refused++;
        record(what + ": refused (" + String.join("; ", answers) + ")");
        return false;
    }

    /** Any member, the one being removed included: a change may go through any of them. */
    private int pickAsker() {
        List<Integer> m = members;
        for (int i = 0; i < m.size(); i++) {
            int id = m.get(random.nextInt(m.size()));
            if (cluster.isServing(id)) {
                return id;
            }
        }
        return m.get(0);
    }

    private boolean unknownRemoval(int gone, String what, List<String> answers)
            throws IOException, InterruptedException {
        View v = resolve(gone, false);
        String said = " (" + String.join("; ", answers) + ")";
        if (v != null && !v.voters.contains(gone)) {
            committed++;
            record(what + ": outcome unknown, then committed" + said);
            retire(gone, v);
            return true;
        }
        if (v != null) {
            refused++;
            record(what + ": outcome unknown, then not applied" + said);
            return false;
        }
        unresolved++;
        record(what + ": outcome unknown, unresolved" + said + "; reconciled later");
        return false;
    }

    /**
     * Waits up to {@link #RESOLVE_WAIT} for the membership to settle, or to show the change:
     * {@code id} a voter ({@code adding}) or not. The settled or showing view, or null.
     */
    private View resolve(int id, boolean adding) throws InterruptedException {
        long deadline = System.nanoTime() + RESOLVE_WAIT.toNanos();
        for (int i = 0; i < 4 * RESOLVE_WAIT.toSeconds() && System.nanoTime() - deadline < 0;
                i++) {
            View v = newest();
            if (v != null && v.voters.contains(id) == adding) {
                return v;
            }
            View s = settled();
            if (s != null) {
                return s;
            }
            Thread.sleep(250);
        }
        return null;
    }

    private String answer(CompletableFuture<HttpResponse<String>> f)
            throws InterruptedException {
        try {
            HttpResponse<String> r = f.get(CALL.toSeconds() + 5, TimeUnit.SECONDS);
            String body = r.body();
            return r.statusCode() + " " + (body.length() > 120 ? body.substring(0, 120) + "..."
                    : body);
        } catch (ExecutionException e) {
            return "no answer (" + e.getCause() + ")";
        } catch (TimeoutException e) {
            f.cancel(true);
            return "no answer (timed out)";
        }
    }

    /**
     * kill -9 of a member (the leader half the time) 0 to 1.5 s into a change, restarted 0.5
     * to 3 s later: a change must survive losing its leader, its asker or a follower midway.
     * Says so, for the change's line.
     */
    private String killDuring(int changed) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Thread.sleep(random.nextInt(1_500));
        Integer leader = random.nextBoolean() ? cluster.leader() : null;
        List<Integer> m = members;
        int victim = leader != null ? leader : m.get(random.nextInt(m.size()));
        if (!cluster.isRunning(victim)) {
            return "";
        }
        kills++;
        boolean leading = leader != null;
        note.accept("membership: kill -9 node " + victim + (leading ? " (the leader)" : "")
                + " while node " + changed + "'s change is in flight");
        long at = ms(t0);
        cluster.kill9(victim);
        Thread.sleep(500 + random.nextInt(2_500));
        note.accept("restart node " + victim);
        cluster.start(victim);
        return "; kill -9 of node " + victim + (leading ? " (the leader)" : "") + " " + at
                + " ms into the change, restarted";
    }

    // ---- the end ----

    /**
     * After the final heal: waits (within {@code limit}) until the membership is settled and
     * every voter of it runs, reconciling on the way. Returns the final voters.
     */
    List<Integer> settle(Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        for (int i = 0; i < 2 * limit.toSeconds() && System.nanoTime() - deadline < 0; i++) {
            View v = reconcile();
            resolveLimbo();
            View s = settled();
            if (s != null && limbo.isEmpty() && s.voters.equals(Set.copyOf(members))) {
                note.accept("membership: settled at 0x" + Long.toHexString(s.version) + ", voters "
                        + s.voters);
                return members;
            }
            if (v != null) {
                for (int id : members) {
                    if (!cluster.isRunning(id)) {
                        cluster.start(id);
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the membership did not settle within " + limit.toSeconds()
                + " s of the last heal (voters as last seen " + members + ", down with data "
                + limbo + "); kept in " + cluster.root);
    }

    private void record(String line) {
        changes.add(String.format("at %5.1f s: %s", (System.nanoTime() - epochNanos) / 1e9,
                line));
        note.accept("membership: " + line);
    }

    /** Each change, one line, for the report. */
    List<String> changes() {
        return List.copyOf(changes);
    }

    /** Asked, committed, refused: a replace counts as its add and its removal. */
    String summary() {
        return asked + " changes asked (" + adds + " adds, " + removals + " removals; " + replaces
                + " replaces among them), " + committed + " committed, " + refused
                + " refused or not applied, " + unresolved + " unresolved when asked; " + late
                + " found committed later in the membership; " + kills + " kills -9 during a"
                + " change; voters " + members + " at the end";
    }

    private static long ms(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }
}
