package io.zab.examples.kv;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;
import java.util.Date;

/**
 * The value of the Date header, formatted once a second instead of once a reply: formatting
 * builds a calendar, which showed in the profile of a server answering thousands a second.
 */
final class HttpDate {
    private record Stamp(long second, AsciiString text) {
    }

    /** The last second formatted; threads that race to replace it format the same text. */
    private static volatile Stamp last = new Stamp(-1, AsciiString.EMPTY_STRING);

    private HttpDate() {
    }

    static AsciiString now() {
        long second = Math.floorDiv(System.currentTimeMillis(), 1000);
        Stamp s = last;
        if (s.second() != second) {
            s = new Stamp(second, new AsciiString(DateFormatter.format(new Date(second * 1000))));
            last = s;
        }
        return s.text();
    }
}
