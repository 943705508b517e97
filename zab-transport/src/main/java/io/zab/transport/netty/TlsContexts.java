package io.zab.transport.netty;

import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.zab.PeerId;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Mutual TLS for {@link NettyTransport}: both sides present a certificate signed by the
 * configured CA (the server requires one), and the certificate names the sid the connection
 * claims ({@link NettyTransportConfig.Tls#commonName}).
 *
 * <p>Built once at start; the contexts are thread-safe. {@link #checkPeer} runs on the channel's
 * event loop after the TLS handshake.
 */
final class TlsContexts {
    final SslContext server;
    final SslContext client;

    private TlsContexts(SslContext server, SslContext client) {
        this.server = server;
        this.client = client;
    }

    static TlsContexts load(NettyTransportConfig.Tls tls) {
        try {
            SslContext server = SslContextBuilder
                    .forServer(tls.certificateChainPem().toFile(), tls.privateKeyPem().toFile())
                    .trustManager(tls.trustedCaPem().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK)
                    .build();
            SslContext client = SslContextBuilder.forClient()
                    .keyManager(tls.certificateChainPem().toFile(), tls.privateKeyPem().toFile())
                    .trustManager(tls.trustedCaPem().toFile())
                    .sslProvider(SslProvider.JDK)
                    .build();
            return new TlsContexts(server, client);
        } catch (Exception e) {
            throw new IllegalArgumentException("tls: cannot load key " + tls.privateKeyPem()
                    + ", chain " + tls.certificateChainPem() + " or CA " + tls.trustedCaPem()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Null if the channel's peer certificate names {@code sid}; otherwise why not. */
    static String checkPeer(Channel ch, int sid) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return "no TLS on this connection";
        }
        String expected = NettyTransportConfig.Tls.commonName(new PeerId(sid));
        String cn;
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            cn = commonName((X509Certificate) chain[0]);
        } catch (SSLPeerUnverifiedException e) {
            return "claims sid " + sid + " without a verified certificate";
        }
        if (!expected.equals(cn)) {
            return "claims sid " + sid + " but its certificate names '" + cn + "', not '"
                    + expected + "'";
        }
        return null;
    }

    private static String commonName(X509Certificate cert) {
        try {
            LdapName name = new LdapName(cert.getSubjectX500Principal().getName());
            for (Rdn rdn : name.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return "";
        } catch (InvalidNameException e) {
            return "";
        }
    }
}
