package io.zab;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who the members of the ensemble are: the voters, the observers, and each one's quorum address
 * ({@code host:port}, as the transport dials it). A membership change is a txn that carries the
 * whole new membership; its zxid is the new membership's {@code version}. The membership a
 * cluster starts with, from each node's static configuration, has version {@link Zxid#ZERO}.
 *
 * <p>Immutable; any thread.
 *
 * @param version the zxid of the txn that made it, or {@link Zxid#ZERO} for the starting one
 * @param voters the voting members and their addresses, at least one
 * @param observers the members that learn commits but never vote, and their addresses
 */
public record Membership(Zxid version, Map<PeerId, String> voters,
        Map<PeerId, String> observers) {
    /** The most members a membership holds: more would make every quorum slow. */
    public static final int MAX_MEMBERS = 255;
    /** The longest address, in UTF-8 bytes. */
    public static final int MAX_ADDRESS_BYTES = 255;
    private static final int FORMAT = 1;

    /**
     * Checks and copies the members.
     *
     * @param version the zxid of the txn that made it, or {@link Zxid#ZERO}
     * @param voters the voting members and their addresses
     * @param observers the observers and their addresses
     * @throws IllegalArgumentException with no voter, a member both voter and observer, more
     *     than {@link #MAX_MEMBERS} members, or an address missing or too long
     */
    public Membership {
        java.util.Objects.requireNonNull(version, "version");
        voters = Collections.unmodifiableMap(new TreeMap<>(voters));
        observers = Collections.unmodifiableMap(new TreeMap<>(observers));
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a membership needs at least one voter");
        }
        if (voters.size() + observers.size() > MAX_MEMBERS) {
            throw new IllegalArgumentException("at most " + MAX_MEMBERS + " members: "
                    + (voters.size() + observers.size()));
        }
        for (PeerId o : observers.keySet()) {
            if (voters.containsKey(o)) {
                throw new IllegalArgumentException("peer " + o + " is both voter and observer");
            }
        }
        checkAddresses(voters);
        checkAddresses(observers);
    }

    private static void checkAddresses(Map<PeerId, String> members) {
        for (Map.Entry<PeerId, String> e : members.entrySet()) {
            String a = e.getValue();
            if (a == null || a.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS_BYTES) {
                throw new IllegalArgumentException("peer " + e.getKey() + ": address missing or"
                        + " longer than " + MAX_ADDRESS_BYTES + " bytes");
            }
        }
    }

    /**
     * The starting membership (version zero) of ids without addresses (tests, simulator).
     *
     * @param voters the voting members
     * @param observers the observers
     * @return the membership
     */
    public static Membership of(Set<PeerId> voters, Set<PeerId> observers) {
        Map<PeerId, String> v = new TreeMap<>();
        voters.forEach(p -> v.put(p, ""));
        Map<PeerId, String> o = new TreeMap<>();
        observers.forEach(p -> o.put(p, ""));
        return new Membership(Zxid.ZERO, v, o);
    }

    /**
     * Whether {@code peer} votes.
     *
     * @param peer a server id
     * @return true for a voter
     */
    public boolean isVoter(PeerId peer) {
        return voters.containsKey(peer);
    }

    /**
     * Whether {@code peer} observes.
     *
     * @param peer a server id
     * @return true for an observer
     */
    public boolean isObserver(PeerId peer) {
        return observers.containsKey(peer);
    }

    /**
     * Whether {@code peer} is a member at all.
     *
     * @param peer a server id
     * @return true for a voter or an observer
     */
    public boolean contains(PeerId peer) {
        return voters.containsKey(peer) || observers.containsKey(peer);
    }

    /**
     * Every member, voters and observers, in id order.
     *
     * @return the ids
     */
    public Set<PeerId> members() {
        Set<PeerId> all = new TreeSet<>(voters.keySet());
        all.addAll(observers.keySet());
        return Collections.unmodifiableSet(all);
    }

    /**
     * Every member's address.
     *
     * @return id to {@code host:port}
     */
    public Map<PeerId, String> addresses() {
        Map<PeerId, String> all = new TreeMap<>(voters);
        all.putAll(observers);
        return Collections.unmodifiableMap(all);
    }

    /**
     * The same members under another version (the zxid of the txn that carries them).
     *
     * @param v the version
     * @return the membership at {@code v}
     */
    public Membership withVersion(Zxid v) {
        return new Membership(v, voters, observers);
    }

    /**
     * Whether both have the same members in the same roles at the same addresses.
     *
     * @param o another membership
     * @return true when only the versions may differ
     */
    public boolean sameMembers(Membership o) {
        return voters.equals(o.voters) && observers.equals(o.observers);
    }

    /**
     * The binary form (what a membership txn carries, and the membership file holds): format
     * (1), version (8), voter count (2), observer count (2), then per member id (4), address
     * length (2), address (UTF-8).
     *
     * @return the bytes
     */
    public byte[] encode() {
        int size = 1 + 8 + 2 + 2;
        for (String a : addresses().values()) {
            size += 4 + 2 + a.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) FORMAT).putLong(version.toLong());
        b.putShort((short) voters.size()).putShort((short) observers.size());
        put(b, voters);
        put(b, observers);
        return b.array();
    }

    private static void put(ByteBuffer b, Map<PeerId, String> members) {
        for (Map.Entry<PeerId, String> e : members.entrySet()) {
            byte[] a = e.getValue().getBytes(StandardCharsets.UTF_8);
            b.putInt(e.getKey().value()).putShort((short) a.length).put(a);
        }
    }

    /**
     * Reads {@link #encode}'s form.
     *
     * @param bytes the bytes
     * @return the membership
     * @throws IllegalArgumentException naming what is wrong when the bytes are not one
     */
    public static Membership decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int format = b.get();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown membership format " + format);
            }
            Zxid version = Zxid.fromLong(b.getLong());
            int nv = Short.toUnsignedInt(b.getShort());
            int no = Short.toUnsignedInt(b.getShort());
            if (nv + no > MAX_MEMBERS) {
                throw new IllegalArgumentException("membership of " + (nv + no)
                        + " members, at most " + MAX_MEMBERS);
            }
            Map<PeerId, String> voters = read(b, nv);
            Map<PeerId, String> observers = read(b, no);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining()
                        + " bytes after the membership");
            }
            return new Membership(version, voters, observers);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("membership cut short at byte " + b.position());
        }
    }

    private static Map<PeerId, String> read(ByteBuffer b, int n) {
        Map<PeerId, String> out = new TreeMap<>();
        int previous = 0;
        for (int i = 0; i < n; i++) {
            int id = b.getInt();
            if (id <= previous) {
                // One form per membership: ids ascend (encode writes them so).
                throw new IllegalArgumentException("member id " + id + " is not positive and"
                        + " above the one before (" + previous + ")");
            }
            previous = id;
            int len = Short.toUnsignedInt(b.getShort());
            if (len > MAX_ADDRESS_BYTES) {
                throw new IllegalArgumentException("address of " + len + " bytes");
            }
            byte[] a = new byte[len];
            b.get(a);
            String address;
            try {
                // Strictly: a malformed address must not decode to another one.
                address = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(a)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalArgumentException("address of member " + id
                        + " is not UTF-8");
            }
            out.put(PeerId.of(id), address);
        }
        return out;
    }

    @Override
    public String toString() {
        return "membership " + version + " voters " + voters.keySet()
                + (observers.isEmpty() ? "" : " observers " + observers.keySet());
    }
}
