package io.zab.examples.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the body of {@code GET /members}: an object whose {@code voters} and {@code observers}
 * map member ids to {@code host:port}. A reader of its own rather than a JSON library: the
 * examples depend on nothing for JSON, and this is the one document they read. It takes any
 * JSON object of objects, strings, numbers, booleans and nulls (no arrays: the document has
 * none), and fails naming the offset of what it cannot read.
 */
final class MembersJson {
    private final String text;
    private int at;

    private MembersJson(String text) {
        this.text = text;
    }

    /**
     * The members listed.
     *
     * @param voters id to address
     * @param observers id to address
     */
    record Members(Map<Integer, String> voters, Map<Integer, String> observers) {
    }

    /**
     * Parses a /members body.
     *
     * @throws IllegalArgumentException naming the offset, or the field, that is wrong
     */
    static Members parse(String body) {
        MembersJson p = new MembersJson(body);
        Object doc = p.value();
        p.space();
        if (p.at != body.length()) {
            throw p.error("text after the document");
        }
        if (!(doc instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return new Members(ids(top.get("voters"), "voters"),
                ids(top.get("observers"), "observers"));
    }

    private static Map<Integer, String> ids(Object members, String field) {
        if (!(members instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("no object \"" + field + "\"");
        }
        Map<Integer, String> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            int id;
            try {
                id = Integer.parseInt((String) e.getKey());
            } catch (NumberFormatException x) {
                id = 0;
            }
            if (id <= 0 || !(e.getValue() instanceof String address)) {
                throw new IllegalArgumentException(field + ": not a member id and its address: "
                        + e.getKey() + "=" + e.getValue());
            }
            out.put(id, address);
        }
        return out;
    }

    private Object value() {
        space();
        if (at >= text.length()) {
            throw error("the document ends early");
        }
        char c = text.charAt(at);
        if (c == '{') {
            return object();
        }
        if (c == '"') {
            return string();
        }
        int start = at;
        while (at < text.length() && "+-.0123456789eEtrufalsn".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        if (at == start) {
            throw error("unexpected '" + c + "'");
        }
        return new Literal(text.substring(start, at));
    }

    /** A number, true, false or null: only skipped, and never taken for a string. */
    private record Literal(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        at++; // '{'
        space();
        if (peek() == '}') {
            at++;
            return out;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String key = string();
            space();
            expect(':');
            out.put(key, value());
            space();
            char c = peek();
            at++;
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        at++; // '"'
        while (true) {
            if (at >= text.length()) {
                throw error("a string does not end");
            }
            char c = text.charAt(at++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = at < text.length() ? text.charAt(at++) : ' ';
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw error("a \\u escape is cut short");
                    }
                    try {
                        b.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    } catch (NumberFormatException x) {
                        throw error("a bad \\u escape");
                    }
                    at += 4;
                }
                default -> throw error("a bad escape \\" + e);
            }
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        at++;
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("the document ends early");
        }
        return text.charAt(at);
    }

    private void space() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at offset " + at);
    }
}
