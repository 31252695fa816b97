package io.otfuse.ot;

import java.util.ArrayList;
import java.util.List;

/**
 * Gets SIMD kernels compiled before the real work calls them. Until HotSpot's C2 has compiled a
 * {@code jdk.incubator.vector} kernel, the kernel runs the API's Java fallback, which boxes every lane operation: 50 to
 * 25 000 ns an element against 0.2 to 4 ns compiled. A fresh JVM's first Sinkhorn solve and first cost matrix spent
 * most of their time there. So each such kernel has a plain-Java twin that computes the same bits, and a {@link Kernel}
 * here: one daemon thread calls every queued kernel on small synthetic rows until a batch runs at compiled speed (two
 * batches in a row under the kernel's bound, which lies an order of magnitude from both speeds), then marks it ready.
 * Callers run the twin until then. Which of the two ran, and when the switch came, therefore never changes a result.
 *
 * <p>A kernel is ready at once when {@code -Dotfuse.warmup=false}, when its batch throws, and
 * {@link #DEADLINE_NANOS} after it was queued whatever was measured, so a slow or busy machine spends at most that long
 * on the twins.
 */
public final class JitWarmup {
    /** Longest time a queued kernel waits for its compiled speed before it is used anyway. */
    public static final long DEADLINE_NANOS = 3_000_000_000L;
    private static final boolean ON = Boolean.parseBoolean(System.getProperty("otfuse.warmup", "true"));
    /** {@code -Dotfuse.warmup.trace=true}: every batch's speed, and when each kernel became ready, on standard error. */
    private static final boolean TRACE = Boolean.getBoolean("otfuse.warmup.trace");

    private static final List<Kernel> PENDING = new ArrayList<>();
    private static Thread worker;
    /** For tests: {@code TRUE} makes every kernel ready, {@code FALSE} none (the twins run); {@code null}: measured. */
    private static volatile Boolean override;

    private JitWarmup() {
    }

    /** A kernel to get compiled: {@code batch} calls it on synthetic data covering {@code elements} elements in all. */
    public static final class Kernel {
        private final String name;
        private final double boundNs;
        private final long elements;
        private final Runnable batch;
        private final long deadlineNanos;
        private volatile boolean ready = !ON;
        private boolean queued;
        private long queuedAt;
        private int under;

        public Kernel(String name, double boundNs, long elements, Runnable batch) {
            this(name, boundNs, elements, batch, DEADLINE_NANOS);
        }

        /** With a deadline of its own (tests). */
        public Kernel(String name, double boundNs, long elements, Runnable batch, long deadlineNanos) {
            this.name = name;
            this.boundNs = boundNs;
            this.elements = elements;
            this.batch = batch;
            this.deadlineNanos = deadlineNanos;
        }

        /** Whether callers may run the SIMD kernel now (else its twin). */
        public boolean ready() {
            Boolean o = override;
            return o != null ? o : ready;
        }

        public String name() {
            return name;
        }
    }

    /** Queues kernels not yet ready or queued, and starts the warm-up thread if none runs. */
    public static synchronized void start(Kernel... ks) {
        long now = System.nanoTime();
        for (Kernel k : ks) {
            if (k.ready || k.queued) continue;
            k.queued = true;
            k.queuedAt = now;
            PENDING.add(k);
        }
        if (PENDING.isEmpty() || worker != null) return;
        worker = new Thread(JitWarmup::run, "otfuse-jit-warmup");
        worker.setDaemon(true);
        worker.setPriority(Thread.MIN_PRIORITY);
        worker.start();
    }

    /** For tests only: see {@link #override}. */
    public static void override(Boolean allReady) {
        override = allReady;
    }

    private static void run() {
        while (true) {
            List<Kernel> round;
            synchronized (JitWarmup.class) {
                PENDING.removeIf(k -> k.ready);
                if (PENDING.isEmpty()) {
                    worker = null;
                    return;
                }
                round = new ArrayList<>(PENDING);
            }
            for (Kernel k : round) step(k);
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                synchronized (JitWarmup.class) {
                    for (Kernel k : PENDING) k.ready = true;
                }
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void step(Kernel k) {
        long s = System.nanoTime();
        try {
            k.batch.run();
        } catch (Throwable e) { // the twin stays correct; only speed depends on this thread
            k.ready = true;
            return;
        }
        long e = System.nanoTime();
        double ns = (e - s) / (double) k.elements;
        k.under = ns < k.boundNs ? k.under + 1 : 0;
        boolean late = e - k.queuedAt > k.deadlineNanos;
        if (k.under >= 2 || late) k.ready = true;
        if (TRACE) {
            System.err.printf("warm-up %s: %.2f ns an element at %.0f ms%s%n", k.name, ns, (e - k.queuedAt) / 1e6,
                    k.ready ? late && k.under < 2 ? ", ready (deadline)" : ", ready" : "");
        }
    }
}
