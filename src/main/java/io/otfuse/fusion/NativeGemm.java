package io.otfuse.fusion;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Large float GEMMs through the PyTorch engine's BLAS (MKL on x86) via DJL, used by {@link Dense#gemm} above a
 * size threshold. Small products (and every test-sized model) stay on the Java kernel. If the engine cannot be
 * loaded, or {@code -Dotfuse.gemm=java} is set, everything stays in Java.
 *
 * <p>Determinism: for a fixed PyTorch thread count ({@code ai.djl.pytorch.num_threads}, default: the number of
 * available processors) the result is bit-identical from run to run. Different thread counts, or a different CPU
 * family (other MKL code path), may change the last bits of the fused weights.
 */
public final class NativeGemm {
    private NativeGemm() {}

    /** Products below this many multiply-adds stay in Java (the copy in and out would dominate). */
    static final long THRESHOLD = 32L << 20;

    private static volatile Boolean available;
    private static Engine engine;

    static boolean usable(long macs) {
        if (macs < THRESHOLD) return false;
        Boolean a = available;
        if (a == null) a = init();
        return a;
    }

    private static synchronized boolean init() {
        if (available != null) return available;
        if ("java".equals(System.getProperty("otfuse.gemm"))) return available = false;
        try {
            if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
            if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            engine = Engine.getEngine("PyTorch");
            try (NDManager m = engine.newBaseManager()) {
                float[] r = m.create(new float[] {1, 2}, new Shape(1, 2)).matMul(m.create(new float[] {3, 4}, new Shape(2, 1))).toFloatArray();
                available = r.length == 1 && r[0] == 11f;
            }
        } catch (Throwable t) {
            available = false;
        }
        return available;
    }

    /** {@code C[M x N] += A[M x K] * B[K x N]}, row-major. */
    static void gemm(float[] a, float[] b, float[] c, int mRows, int k, int n) {
        long t0 = Profile.start();
        float[] r;
        try (NDManager m = engine.newBaseManager()) {
            NDArray x = m.create(a, new Shape(mRows, k));
            NDArray y = m.create(b, new Shape(k, n));
            r = x.matMul(y).toFloatArray();
        }
        for (int i = 0; i < r.length; i++) c[i] += r[i];
        Profile.add("gemm.native", t0);
    }

    /** {@code op(A) * op(B)} as a new array; transposed operands are read in place by the BLAS (see {@link Dense#product}). */
    static float[] product(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols) {
        long t0 = Profile.start();
        try (NDManager m = engine.newBaseManager()) {
            NDArray x = ta ? m.create(a, new Shape(k, rows)).transpose() : m.create(a, new Shape(rows, k));
            NDArray y = tb ? m.create(b, new Shape(cols, k)).transpose() : m.create(b, new Shape(k, cols));
            return x.matMul(y).toFloatArray();
        } finally {
            Profile.add("gemm.native", t0);
        }
    }

    /** Name of the kernel in use, for benchmark output. */
    public static String describe() {
        boolean on = usable(Long.MAX_VALUE);
        return on ? "PyTorch/MKL via DJL, " + System.getProperty("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors() + "") + " threads" : "Java";
    }
}
