package io.otfuse.fusion;

import java.util.stream.IntStream;

/** Moves one axis of a float tensor from model-k coordinates into anchor coordinates with a normalised map. */
public final class Transport {
    private Transport() {}

    /**
     * {@code out[p, j, q] = sum_i M[i, j] * x[p, i, q]} where the tensor is viewed as {@code [pre, n, post]} around
     * {@code axis}. Returns the new values; {@code shape[axis]} becomes {@code M.m()} (the caller updates the shape).
     */
    public static float[] apply(float[] x, long[] shape, int axis, TransportMap.Matrix mat) {
        int pre = 1, post = 1;
        for (int d = 0; d < axis; d++) pre *= (int) shape[d];
        for (int d = axis + 1; d < shape.length; d++) post *= (int) shape[d];
        int n = (int) shape[axis];
        if (n != mat.n) throw new IllegalArgumentException("axis " + axis + " has " + n + " entries but the map has " + mat.n + " rows");
        int m = mat.m;
        float[] out = new float[pre * m * post];
        if (mat.sparse()) {
            for (int p = 0; p < pre; p++) {
                int inBase = p * n * post, outBase = p * m * post;
                for (int i = 0; i < n; i++) {
                    for (int k = mat.rowStart[i]; k < mat.rowStart[i + 1]; k++) {
                        int j = mat.cols[k];
                        float v = mat.vals[k];
                        int src = inBase + i * post, dst = outBase + j * post;
                        for (int q = 0; q < post; q++) out[dst + q] += v * x[src + q];
                    }
                }
            }
            return out;
        }
        if (post == 1) {
            Dense.gemm(x, mat.dense, out, pre, n, m); // rows of x times M
        } else {
            float[] mt = mat.transposed();
            for (int p = 0; p < pre; p++) {
                float[] xp = pre == 1 ? x : java.util.Arrays.copyOfRange(x, p * n * post, (p + 1) * n * post);
                float[] op = pre == 1 ? out : new float[m * post];
                Dense.gemm(mt, xp, op, m, n, post); // M^T times the [n x post] block
                if (pre != 1) System.arraycopy(op, 0, out, p * m * post, m * post);
            }
        }
        return out;
    }

    interface Range {
        void run(int lo, int hi);
    }

    static void parallel(int count, Range r) {
        int threads = Math.min(Runtime.getRuntime().availableProcessors(), 8);
        if (count < 64 || threads == 1) {
            r.run(0, count);
            return;
        }
        int chunks = threads * 4;
        int step = (count + chunks - 1) / chunks;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int lo = c * step, hi = Math.min(count, lo + step);
            if (lo < hi) r.run(lo, hi);
        });
    }
}
