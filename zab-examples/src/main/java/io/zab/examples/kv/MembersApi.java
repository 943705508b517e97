package io.zab.examples.kv;

import io.zab.Membership;
import io.zab.NodeStatus;
import io.zab.PeerId;
import io.zab.ZabException;
import io.zab.ZabNode;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The membership part of the KV API: {@code GET /members}, {@code PUT /members/{id}} with
 * {@code voter=HOST:PORT} or {@code observer=HOST:PORT} as body, and {@code DELETE
 * /members/{id}}. A change is built from the membership this node knows and handed to
 * {@link ZabNode#changeMembership}; nothing here waits, the node's future becomes the reply.
 *
 * <p>Replies: 200 with the membership once the change is committed; 400 for bad input; 404 for
 * deleting a non-member; 409 while another change or a leadership transfer runs; 503 when the
 * change was refused and never applied (this node does not lead, naming the leader; the new
 * members did not catch up; storage recovering; closing); 504 when its outcome is unknown.
 */
final class MembersApi {
    private static final Logger LOG = LoggerFactory.getLogger(MembersApi.class);

    private final ZabNode node;
    /**
     * How long new members may take to catch up: the server's admission wait, so a refusal
     * (503) comes before the server's own timeout (504).
     */
    private final Duration wait;

    MembersApi(ZabNode node, Duration wait) {
        this.node = node;
        this.wait = wait;
    }

    /** GET /members: the committed membership, the leader, and a change in flight if any. */
    Reply list() {
        NodeStatus s = node.status();
        String leader = s.broadcasting() ? s.leader().map(Object::toString).orElse("null")
                : "null";
        String m = json(s.membership());
        return Reply.ok(m.substring(0, m.length() - 1) + ",\"leader\":" + leader
                + ",\"change\":" + s.membershipChange().map(MembersApi::json).orElse("null")
                + "}");
    }

    /** PUT /members/{id}: adds the member, or gives it the role and address of the body. */
    CompletableFuture<Reply> put(String rawId, String body) {
        PeerId id = id(rawId);
        String text = body.strip();
        int eq = text.indexOf('=');
        String role = eq < 0 ? "" : text.substring(0, eq);
        if (!role.equals("voter") && !role.equals("observer")) {
            throw new KvApi.BadRequest(400, "the body must be voter=HOST:PORT or"
                    + " observer=HOST:PORT, was " + Json.str(text));
        }
        String address = address(text.substring(eq + 1));
        return change(current -> {
            Map<PeerId, String> voters = new TreeMap<>(current.voters());
            Map<PeerId, String> observers = new TreeMap<>(current.observers());
            voters.remove(id);
            observers.remove(id);
            (role.equals("voter") ? voters : observers).put(id, address);
            return membership(voters, observers);
        });
    }

    /** DELETE /members/{id}: removes the member. */
    CompletableFuture<Reply> delete(String rawId) {
        PeerId id = id(rawId);
        return change(current -> {
            if (!current.contains(id)) {
                throw new KvApi.BadRequest(404, "no such member: " + id);
            }
            if (current.voters().size() == 1 && current.isVoter(id)) {
                throw new KvApi.BadRequest(400, "cannot remove the last voter, " + id);
            }
            Map<PeerId, String> voters = new TreeMap<>(current.voters());
            Map<PeerId, String> observers = new TreeMap<>(current.observers());
            voters.remove(id);
            observers.remove(id);
            return membership(voters, observers);
        });
    }

    /**
     * Syncs first, so the membership the target is built from includes every change committed
     * before this request: a follower (once changes are forwarded) may not yet have applied the
     * last one, and a target built without it would undo it. A change committed between the
     * sync and the leader's taking the request can still be undone; only a version check by the
     * leader would close that window.
     */
    private CompletableFuture<Reply> change(
            java.util.function.Function<Membership, Membership> edit) {
        return node.sync(wait).handle((zxid, e) -> e).thenCompose(syncFailure -> {
            if (syncFailure != null) {
                return KvApi.done(refused(syncFailure));
            }
            Membership current = node.membership();
            Membership target;
            try {
                target = edit.apply(current);
            } catch (KvApi.BadRequest b) {
                return KvApi.done(Reply.error(b.status, b.getMessage()));
            }
            if (target.sameMembers(current)) {
                // PUT is idempotent: asking again for what holds (a retry after a 504 whose
                // change did commit) succeeds without proposing an empty change.
                return KvApi.done(Reply.ok(json(current)));
            }
            return node.changeMembership(target, wait)
                    .handle((m, f) -> f == null ? Reply.ok(json(m)) : refused(f));
        });
    }

    private static Membership membership(Map<PeerId, String> voters,
            Map<PeerId, String> observers) {
        try {
            return new Membership(io.zab.Zxid.ZERO, voters, observers);
        } catch (IllegalArgumentException e) {
            throw new KvApi.BadRequest(400, e.getMessage());
        }
    }

    static Reply refused(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null
                ? e.getCause() : e;
        if (cause instanceof ZabException.OutcomeUnknownException) {
            return Reply.error(504, "membership change outcome unknown: " + cause.getMessage());
        }
        if (cause instanceof ZabException.ChangeInFlightException) {
            return Reply.error(409, "another membership change or leadership transfer is in"
                    + " flight: " + cause.getMessage());
        }
        if (cause instanceof ZabException.NotLeaderException n) {
            // Until changes are forwarded, the client must send them to the leader.
            String leader = n.leaderHint().map(PeerId::toString).orElse("null");
            return new Reply(503, "{\"error\":" + Json.str("membership change refused: "
                    + cause.getMessage()) + ",\"leader\":" + leader + "}", true);
        }
        if (cause instanceof ZabException) {
            // Refused (new members not caught up, nothing to change), overloaded, recovering,
            // closed: nothing was proposed.
            return new Reply(503, Json.error("membership change refused: "
                    + cause.getMessage()), true);
        }
        LOG.warn("membership change failed", cause);
        return Reply.error(500, "internal error: " + cause);
    }

    /** The membership as JSON: version, and voters and observers as id to address. */
    static String json(Membership m) {
        return "{\"version\":\"" + m.version() + "\",\"voters\":" + members(m.voters())
                + ",\"observers\":" + members(m.observers()) + "}";
    }

    private static String members(Map<PeerId, String> members) {
        StringBuilder b = new StringBuilder("{");
        members.forEach((id, address) -> b.append(b.length() > 1 ? "," : "").append('"')
                .append(id.value()).append("\":").append(Json.str(address)));
        return b.append('}').toString();
    }

    private static PeerId id(String raw) {
        try {
            int id = Integer.parseInt(raw);
            if (id > 0) {
                return new PeerId(id);
            }
        } catch (NumberFormatException e) {
            // answered below, with the positive-id case
        }
        throw new KvApi.BadRequest(400, "a member id is a positive integer, was " + Json.str(raw));
    }

    /**
     * HOST:PORT as the transport dials it; the host is not resolved here, as a member's address
     * in the static configuration is not resolved before the node starts either.
     */
    private static String address(String s) {
        int colon = s.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 1 || port > 65535 || s.chars().anyMatch(c -> c <= ' ' || c == ',')) {
            throw new KvApi.BadRequest(400, "the address must be HOST:PORT with a port from 1 to"
                    + " 65535, was " + Json.str(s));
        }
        return s;
    }
}
