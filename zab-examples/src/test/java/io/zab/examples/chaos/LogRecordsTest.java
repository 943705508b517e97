package io.zab.examples.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LogRecords reads past a membership record, whose length field carries a flag bit. */
class LogRecordsTest {
    @Test
    void aMembershipRecordIsNotTheEndOfTheRecords(@TempDir Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.position(LogRecords.HEADER_BYTES);
        record(b, 3, 0x100000001L);
        record(b, 5 | 1 << 31, 0x100000002L);
        record(b, 2, 0x100000003L);
        Path seg = dir.resolve("log.00000000.0000000000000000");
        Files.write(seg, b.array());
        List<LogRecords.Rec> recs = LogRecords.read(seg);
        assertEquals(List.of(0x100000001L, 0x100000002L, 0x100000003L),
                recs.stream().map(LogRecords.Rec::zxid).toList());
        assertEquals(LogRecords.HEADER_BYTES + 3L * LogRecords.RECORD_HEADER_BYTES + 3 + 5 + 2,
                LogRecords.end(seg));
    }

    private static void record(ByteBuffer b, int lengthField, long zxid) {
        int at = b.position();
        b.putInt(lengthField).putInt(0).putLong(zxid).putInt(at);
        b.position(b.position() + (lengthField & LogRecords.LENGTH_MASK));
    }
}
