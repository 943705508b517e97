package io.zab.transport.netty;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates made at run time with the JDK's own keytool (a process from java.home), so
 * no private key is ever committed and nothing is downloaded. keytool writes PKCS#12; the private
 * key is converted to the PKCS#8 PEM Netty reads by loading the keystore here.
 */
final class TestCerts {
    private static final String PASS = "changeit";

    private final Path dir;
    private final Path caStore;
    final Path caPem;

    /** Creates a CA (CN=zab-test-ca) in {@code dir}. */
    TestCerts(Path dir) throws Exception {
        this.dir = dir;
        this.caStore = dir.resolve("ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=zab-test-ca", "-ext", "bc:c", "-validity", "2",
                "-keystore", caStore.toString(), "-storetype", "PKCS12", "-storepass", PASS);
        this.caPem = dir.resolve("ca.pem");
        Files.writeString(caPem, pem("CERTIFICATE", load(caStore).getCertificate("ca")
                .getEncoded()));
    }

    /** Key and chain for {@code cn}, signed by this CA; trusts this CA. */
    NettyTransportConfig.Tls signed(String cn) throws Exception {
        Path store = dir.resolve(cn + ".p12");
        Path csr = dir.resolve(cn + ".csr");
        Path crt = dir.resolve(cn + ".crt");
        newKeyPair(store, cn);
        keytool("-certreq", "-alias", "node", "-keystore", store.toString(), "-storepass", PASS,
                "-file", csr.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", PASS,
                "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc", "-validity", "2",
                "-ext", "ku:c=digitalSignature,keyAgreement",
                "-ext", "eku=serverAuth,clientAuth");
        Path chain = dir.resolve(cn + "-chain.pem");
        Files.writeString(chain, Files.readString(crt) + Files.readString(caPem));
        return new NettyTransportConfig.Tls(writeKey(store, cn), chain, caPem);
    }

    /** A self-signed key and certificate for {@code cn} (no CA signed it); trusts this CA. */
    NettyTransportConfig.Tls selfSigned(String cn) throws Exception {
        Path store = dir.resolve(cn + "-self.p12");
        newKeyPair(store, cn);
        Path chain = dir.resolve(cn + "-self.pem");
        Files.writeString(chain, pem("CERTIFICATE", load(store).getCertificate("node")
                .getEncoded()));
        return new NettyTransportConfig.Tls(writeKey(store, cn + "-self"), chain, caPem);
    }

    private void newKeyPair(Path store, String cn) throws Exception {
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + cn, "-validity", "2", "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", PASS);
    }

    private Path writeKey(Path store, String name) throws Exception {
        PrivateKey key = (PrivateKey) load(store).getKey("node", PASS.toCharArray());
        Path out = dir.resolve(name + "-key.pem");
        Files.writeString(out, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
        return out;
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        // keytool is a JVM: start it as cheaply as possible on a shared machine.
        cmd.add("-J-XX:TieredStopAtLevel=1");
        cmd.add("-J-XX:+UseSerialGC");
        cmd.add("-J-Xshare:auto");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + String.join(" ", args) + " failed: "
                    + new String(output, StandardCharsets.UTF_8));
        }
    }
}
