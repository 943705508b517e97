package io.zab.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** What every {@link EpochStore} must do, bound to each implementation by a subclass. */
public abstract class EpochStoreContract {
    /** A new store with no epochs saved. */
    protected abstract EpochStore create() throws IOException;

    /** The store as a restarted node finds it. */
    protected abstract EpochStore restart(EpochStore store) throws IOException;

    @Test
    void startsAtZero() throws IOException {
        EpochStore s = create();
        assertEquals(0, s.acceptedEpoch());
        assertEquals(0, s.currentEpoch());
    }

    @Test
    void keepsWhatWasSavedAcrossARestart() throws IOException {
        EpochStore s = create();
        s.save(3, 2);
        assertEquals(3, s.acceptedEpoch());
        assertEquals(2, s.currentEpoch());
        s.save(4, 2);
        s.save(4, 4);
        s = restart(s);
        assertEquals(4, s.acceptedEpoch());
        assertEquals(4, s.currentEpoch());
    }

    @Test
    void refusesCurrentAboveAccepted() throws IOException {
        EpochStore s = create();
        s.save(2, 1);
        assertThrows(IllegalArgumentException.class, () -> s.save(2, 3));
        assertEquals(2, s.acceptedEpoch());
        assertEquals(1, s.currentEpoch());
        assertEquals(1, restart(s).currentEpoch());
    }

    @Test
    void takesLargeEpochs() throws IOException {
        EpochStore s = create();
        s.save(0xFFFF_FFFFL, 0xFFFF_FFFEL);
        s = restart(s);
        assertEquals(0xFFFF_FFFFL, s.acceptedEpoch());
        assertEquals(0xFFFF_FFFEL, s.currentEpoch());
    }
}
