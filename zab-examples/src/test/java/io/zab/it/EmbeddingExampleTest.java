package io.zab.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * README's "API in a few lines" cannot drift from code that runs: its block must be the
 * README region of the consumer project's CounterNode, which the invoker compiles against the
 * installed artifacts and whose test runs it as three members over Netty (src/it/consumer).
 */
class EmbeddingExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path CONSUMER_SOURCE =
            Path.of("src", "it", "consumer", "src", "main", "java", "io", "zab", "it", "consumer",
                    "CounterNode.java");

    @Test
    void readmesExampleIsTheConsumersCode() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int section = readme.indexOf("\n## The API in a few lines\n");
        assertTrue(section >= 0, "README has the section");
        // The section's own text, up to its first subsection (which has examples of its own).
        int next = readme.indexOf("\n#", section + 1);
        String block = between(readme.substring(section, next < 0 ? readme.length() : next),
                "```java\n", "```");

        String source = Files.readString(CONSUMER_SOURCE, StandardCharsets.UTF_8);
        String region = between(source, "// README:begin\n", "// README:end");

        assertEquals(dedent(region), dedent(block),
                "README's example must be the README region of " + CONSUMER_SOURCE);
    }

    @Test
    void dedentIgnoresOnlyTheCommonIndentation() {
        assertEquals("a\n  b\n", dedent("    a\n      b\n    "));
        assertTrue(!dedent("a\n  b").equals(dedent("a\nb")), "inner indentation still counts");
    }

    /** The text after the only {@code start} marker up to the {@code end} marker after it. */
    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertTrue(from >= 0, "no " + start.strip());
        assertEquals(-1, text.indexOf(start, from + 1), "more than one " + start.strip());
        from += start.length();
        int to = text.indexOf(end, from);
        assertTrue(to >= 0, "no " + end.strip() + " after " + start.strip());
        return text.substring(from, to);
    }

    /**
     * Lines without the indentation they all share and without trailing blanks, each ending in
     * a newline: the region sits inside a method, README's block at the margin.
     */
    static String dedent(String text) {
        List<String> lines = text.lines().map(String::stripTrailing)
                .filter(line -> !line.isEmpty()).toList();
        int common = lines.stream()
                .mapToInt(line -> line.length() - line.stripLeading().length())
                .min().orElse(0);
        StringBuilder out = new StringBuilder();
        lines.forEach(line -> out.append(line.substring(common)).append('\n'));
        return out.toString();
    }
}
