package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warm-up thread's rules: ready once fast, at the deadline when never fast, at once when the batch fails. */
class JitWarmupTest {
    @AfterEach
    void measuredAgain() {
        JitWarmup.override(null);
    }

    private static boolean becomesReady(JitWarmup.Kernel k, long withinMillis) throws InterruptedException {
        long end = System.nanoTime() + withinMillis * 1_000_000L;
        while (System.nanoTime() < end) {
            if (k.ready()) return true;
            Thread.sleep(5);
        }
        return k.ready();
    }

    @Test
    void aFastKernelIsReadyAfterTwoFastBatches() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        JitWarmup.Kernel k = new JitWarmup.Kernel("fast", 1e9, 1000, calls::incrementAndGet);
        assertFalse(k.ready());
        JitWarmup.start(k);
        assertTrue(becomesReady(k, 5000));
        assertTrue(calls.get() >= 2, "needs two batches under the bound, ran " + calls.get());
    }

    @Test
    void aKernelNeverFastIsReadyAtItsDeadline() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        JitWarmup.Kernel k = new JitWarmup.Kernel("slow", 1e-9, 1, () -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 300_000_000L);
        long t0 = System.nanoTime();
        JitWarmup.start(k);
        assertFalse(becomesReady(k, 150), "ready long before its deadline");
        assertTrue(becomesReady(k, 5000));
        assertTrue(System.nanoTime() - t0 >= 300_000_000L, "ready before its deadline");
        assertTrue(calls.get() >= 10, "kept measuring until the deadline: " + calls.get() + " batches");
    }

    @Test
    void aKernelWhoseBatchFailsIsReadyAtOnce() throws InterruptedException {
        JitWarmup.Kernel k = new JitWarmup.Kernel("failing", 1e9, 1, () -> {
            throw new IllegalStateException("no kernel here");
        });
        JitWarmup.start(k);
        assertTrue(becomesReady(k, 5000));
    }

    @Test
    void theOverrideWinsForTests() {
        JitWarmup.Kernel k = new JitWarmup.Kernel("never queued", 1e9, 1, () -> { });
        assertFalse(k.ready());
        JitWarmup.override(Boolean.TRUE);
        assertTrue(k.ready());
        JitWarmup.override(Boolean.FALSE);
        assertFalse(k.ready());
        JitWarmup.override(null);
        assertFalse(k.ready());
    }
}
