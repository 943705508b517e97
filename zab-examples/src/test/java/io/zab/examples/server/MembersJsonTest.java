package io.zab.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reader of GET /members: what the KV server writes, and what it refuses, by offset. */
class MembersJsonTest {
    @Test
    void readsTheVotersAndObserversOfAMembersBody() {
        MembersJson.Members m = MembersJson.parse("{\"version\":\"0x100000003\",\"voters\":"
                + "{\"1\":\"127.0.0.1:7001\",\"2\":\"h\\\"x:7002\",\"3\":\"\\u0068ost:7003\"},"
                + "\"observers\":{\"9\":\"o:7009\"},\"leader\":1,\"change\":{\"version\":\"0x0\","
                + "\"voters\":{\"1\":\"a:1\"},\"observers\":{}}}");
        assertEquals(Map.of(1, "127.0.0.1:7001", 2, "h\"x:7002", 3, "host:7003"), m.voters());
        assertEquals(Map.of(9, "o:7009"), m.observers());
        m = MembersJson.parse(" { \"voters\" : { \"1\" : \"a:1\" } , \"observers\" : { } ,"
                + " \"leader\" : null , \"ok\" : true , \"n\" : -1.5e3 } ");
        assertEquals(Map.of(1, "a:1"), m.voters());
        assertTrue(m.observers().isEmpty());
    }

    @Test
    void whatIsNotAMembersBodyIsRefusedSayingWhere() {
        assertFails("<html>", "unexpected '<' at offset 0");
        assertFails("{\"voters\":{\"1\":\"a:1\"}", "the document ends early at offset 21");
        assertFails("{\"voters\":{\"1\":\"a:1\"}} x", "text after the document at offset 23");
        assertFails("{\"voters\":{\"1\":\"a:1}}", "a string does not end");
        assertFails("{\"voters\":{\"x\":\"a:1\"},\"observers\":{}}",
                "voters: not a member id and its address: x=a:1");
        assertFails("{\"voters\":{\"1\":2},\"observers\":{}}", "voters: not a member id");
        assertFails("{\"voters\":{\"1\":\"a:1\"}}", "no object \"observers\"");
        assertFails("\"members\"", "not a JSON object");
        assertFails("{\"voters\" {}}", "expected ':' at offset 10");
        assertFails("{\"a\":\"\\q\"}", "a bad escape \\q");
    }

    private static void assertFails(String body, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MembersJson.parse(body));
        assertTrue(e.getMessage().startsWith(reason), e.getMessage());
    }
}
