package io.zab.protocol;

import io.zab.Zxid;

/** How many txns one zxid is behind another, as the status and metrics report it. */
final class Lag {

    private Lag() {
    }

    /**
     * The txns after {@code behind} up to {@code ahead}: exact within one epoch; across epochs
     * only {@code ahead}'s counter is known (the txns of the epochs between are not), so that
     * lower bound is given. Zero when {@code behind} is not before {@code ahead}.
     */
    static long txns(Zxid behind, Zxid ahead) {
        if (!behind.isBefore(ahead)) {
            return 0;
        }
        return behind.epoch() == ahead.epoch() ? ahead.counter() - behind.counter()
                : ahead.counter();
    }
}
