package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** How the clients read a 409's "current" value (the value a refused CAS found). */
class WorkloadTest {
    @Test
    void readsTheCurrentValueOfARefusedCas() {
        assertEquals("c1-7", Workload.currentOf(
                "{\"error\":\"current value differs\",\"current\":\"c1-7\",\"zxid\":\"0x1\"}"));
        assertNull(Workload.currentOf("{\"error\":\"x\",\"current\":null,\"zxid\":\"0x1\"}"));
        assertEquals("a\"b\\c\n\u0001", Workload.currentOf(
                "{\"current\":\"a\\\"b\\\\c\\n\\u0001\"}"));
    }

    @Test
    void aMalformedAnswerIsReportedNotGuessed() {
        assertThrows(IllegalArgumentException.class, () -> Workload.currentOf("{\"error\":1}"));
        assertThrows(IllegalArgumentException.class,
                () -> Workload.currentOf("{\"current\":\"open"));
        assertThrows(IllegalArgumentException.class, () -> Workload.currentOf("{\"current\":7}"));
    }
}
