package io.otfuse.ot;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Minimal data-parallel helper on a persistent pool of daemon threads. Work is always split into a
 * partition that does not depend on the thread count (callers use fixed-size row blocks and reduce
 * per-block partial results in block order), so results are bit-identical for any number of threads.
 */
final class Par {
    /** Rows per block for blocked passes: fixed, so results never depend on the thread count. */
    static final int BLOCK_ROWS = 128;

    private static final ExecutorService POOL = Executors.newCachedThreadPool(new ThreadFactory() {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "otfuse-ot-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    private Par() {
    }

    interface RangeBody {
        void run(int lo, int hi);
    }

    static int blocks(int rows) {
        return (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
    }

    /**
     * Runs {@code body(k, k + 1)} for every k in {@code [0, count)} on up to {@code threads} threads
     * (the calling thread included). Units are handed out dynamically, so a descheduled thread on a busy
     * machine does not stall the pass; callers write each unit's result to its own slot, so the outcome
     * does not depend on which thread ran which unit.
     */
    static void forRange(int threads, int count, RangeBody body) {
        int t = Math.max(1, Math.min(threads, count));
        if (t == 1) {
            for (int k = 0; k < count; k++) {
                body.run(k, k + 1);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            int k;
            while ((k = next.getAndIncrement()) < count) {
                body.run(k, k + 1);
            }
        };
        Future<?>[] fs = new Future<?>[t - 1];
        for (int w = 1; w < t; w++) {
            fs[w - 1] = POOL.submit(worker);
        }
        Throwable err = null;
        try {
            worker.run();
        } catch (Throwable e) {
            err = e;
            next.set(count);
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (err == null) {
                    err = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (err == null) {
                    err = e;
                }
            }
        }
        if (err instanceof RuntimeException) {
            throw (RuntimeException) err;
        } else if (err instanceof Error) {
            throw (Error) err;
        } else if (err != null) {
            throw new RuntimeException(err);
        }
    }

    /** Dot product of {@code x[0 .. len)} with {@code y[0 .. len)}, fixed 4-way summation order. */
    static double dot(double[] x, double[] y, int len) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += x[j] * y[j];
            s1 += x[j + 1] * y[j + 1];
            s2 += x[j + 2] * y[j + 2];
            s3 += x[j + 3] * y[j + 3];
        }
        for (; j < len; j++) {
            s0 += x[j] * y[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code acc[j] += s * x[j]} for j in {@code [0, len)}. */
    static void axpy(double s, double[] x, double[] acc, int len) {
        for (int j = 0; j < len; j++) {
            acc[j] += s * x[j];
        }
    }
}
