package io.zab.transport.netty.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The handshake's challenge-response over a cluster secret. Each side proves it holds the
 * secret with {@code HMAC-SHA256(secret, label || u8 len || clusterId || dialerSid i32 ||
 * acceptorSid i32 || dialerNonce[16] || acceptorNonce[16])}, where the label names the side
 * ("zab-handshake-v2 acceptor" or "... dialer", so one side's MAC is never valid as the other's:
 * no reflection). Both nonces are fresh random bytes per connection, so a recorded handshake is
 * worthless on any other connection (each side's MAC covers a nonce the other side just chose).
 * The MAC binds both sids and the cluster id: a proof for one pair or ensemble is not one for
 * another. Every holder of the secret is trusted alike; it says nothing about which member a
 * holder is beyond the sid it claims (TLS certificates do that).
 *
 * <p>Thread-safe: a new {@link Mac} per call; the {@link SecureRandom} is thread-safe.
 */
public final class PeerAuth {
    public static final int NONCE_BYTES = 16;
    public static final int MAC_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    /** Whose MAC: the side that dialed, or the one that accepted. */
    public enum Side {
        DIALER("zab-handshake-v2 dialer"), ACCEPTOR("zab-handshake-v2 acceptor");

        private final byte[] label;

        Side(String label) {
            this.label = label.getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final SecretKeySpec key;
    private final SecureRandom random;

    /** @param secret the cluster secret (copied); @param random the nonces' source */
    public PeerAuth(byte[] secret, SecureRandom random) {
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
        this.random = random;
        mac(Side.DIALER, "", 1, 2, new byte[NONCE_BYTES], new byte[NONCE_BYTES]); // fail early
    }

    /** A fresh nonce. */
    public byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    /** The MAC {@code side} sends for this connection. */
    public byte[] mac(Side side, String clusterId, int dialerSid, int acceptorSid,
            byte[] dialerNonce, byte[] acceptorNonce) {
        if (dialerNonce.length != NONCE_BYTES || acceptorNonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("nonces must be " + NONCE_BYTES + " bytes");
        }
        byte[] cluster = clusterId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer input = ByteBuffer.allocate(side.label.length + 1 + cluster.length + 8
                + 2 * NONCE_BYTES);
        input.put(side.label).put((byte) cluster.length).put(cluster).putInt(dialerSid)
                .putInt(acceptorSid).put(dialerNonce).put(acceptorNonce);
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            return m.doFinal(input.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    /**
     * Whether {@code got} is {@code expected}, in time that does not depend on where they differ.
     */
    public static boolean matches(byte[] expected, byte[] got) {
        return MessageDigest.isEqual(expected, got);
    }
}
