package io.otfuse.fusion;

import java.util.stream.IntStream;

/** Small dense float kernels (row-major), multi-threaded over output rows. */
final class Dense {
    private Dense() {}

    private static final int KB = 128, NB = 512;

    /**
     * {@code op(A) * op(B)} as a new row-major {@code [rows x cols]} array, where {@code op(A)} is {@code [rows x k]}
     * ({@code A} stored as {@code [k x rows]} when {@code ta}) and {@code op(B)} is {@code [k x cols]} ({@code B} stored
     * as {@code [cols x k]} when {@code tb}). Large products go to the engine's BLAS, which reads transposed operands in
     * place; the Java kernel transposes them first.
     */
    static float[] product(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols) {
        return product(a, ta, b, tb, rows, k, cols, null);
    }

    /** Left operands with at most this many rows are multiplied row by row ({@link RowKernels#rowsTimesMatrix}). */
    static final int FEW_ROWS = 16;

    /** {@link #product}, written into {@code out} when it has exactly {@code rows * cols} entries (else a new or pooled array). */
    static float[] product(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols, float[] out) {
        if (NativeGemm.usable((long) rows * k * cols)) return NativeGemm.product(a, ta, b, tb, rows, k, cols, out);
        float[] c = out != null && out.length == rows * cols ? out : io.otfuse.ot.ArrayPool.floats(rows * cols);
        java.util.Arrays.fill(c, 0f); // the kernels add into it
        // a few vectors (a bias, LayerNorm weights, position embeddings) times a map: the kernel every bias move runs,
        // instead of the blocked product (which such rare calls would keep in slow, not yet compiled code)
        if (rows <= FEW_ROWS && !ta && !tb) return RowKernels.rowsTimesMatrix(a, rows, b, k, cols, c);
        gemmJava(ta ? transpose(a, k, rows) : a, tb ? transpose(b, cols, k) : b, c, rows, k, cols);
        return c;
    }

    /**
     * {@code C[M x N] += A[M x K] * B[K x N]}. Four rows of C are updated per pass over a block of B (held in L2),
     * in private accumulators so the JIT vectorises the inner loop.
     */
    static void gemm(float[] a, float[] b, float[] c, int mRows, int k, int n) {
        if (a.length == (long) mRows * k && NativeGemm.usable((long) mRows * k * n)) {
            NativeGemm.gemm(a, b, c, mRows, k, n);
            return;
        }
        gemmJava(a, b, c, mRows, k, n);
    }

    private static void gemmJava(float[] a, float[] b, float[] c, int mRows, int k, int n) {
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 16));
        int chunk = Math.max(4, ((mRows + threads * 4 - 1) / (threads * 4) + 3) / 4 * 4);
        int chunks = (mRows + chunk - 1) / chunk;
        IntStream.range(0, chunks).parallel().forEach(ch -> {
            int i0 = ch * chunk, i1 = Math.min(mRows, i0 + chunk);
            float[] c0 = new float[NB], c1 = new float[NB], c2 = new float[NB], c3 = new float[NB];
            for (int jj = 0; jj < n; jj += NB) {
                int w = Math.min(n, jj + NB) - jj;
                for (int kk = 0; kk < k; kk += KB) {
                int k1 = Math.min(k, kk + KB);
                for (int i = i0; i < i1; i += 4) {
                    int rows = Math.min(4, i1 - i);
                    java.util.Arrays.fill(c0, 0);
                    java.util.Arrays.fill(c1, 0);
                    java.util.Arrays.fill(c2, 0);
                    java.util.Arrays.fill(c3, 0);
                    int a0 = i * k, a1 = rows > 1 ? a0 + k : a0, a2 = rows > 2 ? a0 + 2 * k : a0, a3 = rows > 3 ? a0 + 3 * k : a0;
                    for (int p = kk; p < k1; p++) {
                        float v0 = a[a0 + p], v1 = rows > 1 ? a[a1 + p] : 0, v2 = rows > 2 ? a[a2 + p] : 0, v3 = rows > 3 ? a[a3 + p] : 0;
                        if (v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0) continue;
                        int bp = p * n + jj;
                        for (int j = 0; j < w; j++) {
                            float bv = b[bp + j];
                            c0[j] += v0 * bv;
                            c1[j] += v1 * bv;
                            c2[j] += v2 * bv;
                            c3[j] += v3 * bv;
                        }
                    }
                    add(c, i * n + jj, c0, w);
                    if (rows > 1) add(c, (i + 1) * n + jj, c1, w);
                    if (rows > 2) add(c, (i + 2) * n + jj, c2, w);
                    if (rows > 3) add(c, (i + 3) * n + jj, c3, w);
                }
                }
            }
        });
    }

    private static void add(float[] c, int off, float[] acc, int w) {
        for (int j = 0; j < w; j++) c[off + j] += acc[j];
    }

    /** {@code [rows x cols] -> [cols x rows]}, in 64 x 64 tiles. */
    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        final int b = 64;
        for (int i0 = 0; i0 < rows; i0 += b) {
            int i1 = Math.min(rows, i0 + b);
            for (int j0 = 0; j0 < cols; j0 += b) {
                int j1 = Math.min(cols, j0 + b);
                for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }
}
