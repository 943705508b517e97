package io.zab.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The protocol core stays deterministic: no threads, locks, clocks, files, sockets, unseeded
 * randomness, system properties or mutable statics in the protocol, codec and election
 * packages of zab-core (STYLE.md B5.6). zab-election's fle package runs the same check in its
 * own build through {@link #violations}.
 */
class ArchitectureTest {
    private static final List<Pattern> FORBIDDEN = List.of(
            Pattern.compile("\\bThread\\b"),
            Pattern.compile("\\bsynchronized\\b"),
            Pattern.compile("java\\.util\\.concurrent"),
            Pattern.compile("currentTimeMillis|nanoTime|Instant\\.now|Clock\\b"),
            Pattern.compile("new Random\\(|Math\\.random|ThreadLocalRandom|SecureRandom"),
            Pattern.compile("java\\.io\\.File\\b|java\\.nio\\.file|java\\.nio\\.channels"),
            Pattern.compile("java\\.net\\.|Socket"),
            Pattern.compile("System\\.(getProperty|getenv|exit|in\\b|out\\b|err\\b)"),
            Pattern.compile("static\\s+(?!final)[\\w<>,\\s]+\\s+\\w+\\s*(=|;)"));

    @Test
    void protocolCodecAndElectionAreDeterministic() throws IOException {
        Path main = Path.of("src/main/java/io/zab");
        List<String> found = new ArrayList<>();
        for (String pkg : List.of("protocol", "codec", "election")) {
            found.addAll(violations(main.resolve(pkg)));
        }
        assertEquals(List.of(), found);
    }

    @Test
    void theCheckCatchesWhatItForbids() throws IOException {
        Path dir = Files.createTempDirectory("arch");
        Files.writeString(dir.resolve("Bad.java"), "class Bad { static int n = 0;\n"
                + " long t = System.nanoTime(); }\n");
        assertEquals(2, violations(dir).size());
    }

    static List<String> violations(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = stripComment(lines.get(i));
                    for (Pattern p : FORBIDDEN) {
                        if (p.matcher(line).find()) {
                            out.add(f + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                }
            }
        }
        return out;
    }

    private static String stripComment(String line) {
        String t = line.trim();
        if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//")) {
            return "";
        }
        int c = line.indexOf("//");
        return c >= 0 ? line.substring(0, c) : line;
    }
}
