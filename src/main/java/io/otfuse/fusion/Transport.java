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
        long t0 = Profile.start();
        try {
            return applyImpl(x, pre, n, post, mat);
        } finally {
            Profile.add(mat.sparse() ? "move.sparse" : "move.dense", t0);
        }
    }

    private static float[] applyImpl(float[] x, int pre, int n, int post, TransportMap.Matrix mat) {
        int m = mat.m;
        if (mat.sparse()) {
            float[] out = new float[pre * m * post];
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
        if (mat.blocked()) return blocks(x, pre, n, post, mat);
        // a scaled form: the tensor is scaled along the axis before (in) and the result after (out, uniform)
        float[] md = mat.multiplicand();
        float[] copy = mat.in != null ? scaled(x, pre, n, post, mat.in) : null;
        if (copy != null) x = copy;
        float[] out;
        if (post == 1) {
            out = Dense.product(x, false, md, false, pre, n, m); // rows of x times M
        } else if (pre == 1) {
            out = Dense.product(md, true, x, false, m, n, post); // M^T times the [n x post] block
        } else {
            out = io.otfuse.ot.ArrayPool.floats(pre * m * post); // every entry is written
            for (int p = 0; p < pre; p++) {
                float[] xp = java.util.Arrays.copyOfRange(x, p * n * post, (p + 1) * n * post);
                float[] r = Dense.product(md, true, xp, false, m, n, post);
                System.arraycopy(r, 0, out, p * m * post, m * post);
                io.otfuse.ot.ArrayPool.give(r);
            }
        }
        io.otfuse.ot.ArrayPool.give(copy); // the scaled copy made here
        if (mat.out != null || mat.uniform != 1) scaleInPlace(out, pre, m, post, mat.out, mat.uniform);
        return out;
    }

    /**
     * The move by a block-structured map: block b of the axis goes to block {@code to[b]} through the {@code d x d} block of
     * the map, {@code n / d} times fewer multiply-adds than the dense product. Large moves run the blocks as one batched
     * product on the engine; small ones block by block on the Java kernel, which adds the same non-zero terms in the same
     * order as the dense Java move.
     */
    static float[] blocks(float[] x, int pre, int n, int post, TransportMap.Matrix mat) {
        int m = mat.m, d = mat.side, h = mat.to.length;
        float[] md = mat.dense();
        float[] blks = new float[h * d * d]; // block b: rows b d.., columns to[b] d..
        for (int b = 0; b < h; b++) {
            for (int i = 0; i < d; i++) System.arraycopy(md, (b * d + i) * m + mat.to[b] * d, blks, (b * d + i) * d, d);
        }
        float[] out = io.otfuse.ot.ArrayPool.floats(pre * m * post); // every entry is written: the blocks' targets cover the axis
        boolean batched = NativeGemm.usable((long) pre * n * d * post);
        if (post == 1) { // columns of block b of the rows of x, times block b, into the columns of block to[b]
            float[] xs = new float[h * pre * d];
            for (int b = 0; b < h; b++) for (int p = 0; p < pre; p++) System.arraycopy(x, p * n + b * d, xs, (b * pre + p) * d, d);
            float[] r = batched ? NativeGemm.batched(xs, false, blks, h, pre, d, d) : null;
            for (int b = 0; b < h; b++) {
                float[] rb = r != null ? r : Dense.product(java.util.Arrays.copyOfRange(xs, b * pre * d, (b + 1) * pre * d), false,
                        java.util.Arrays.copyOfRange(blks, b * d * d, (b + 1) * d * d), false, pre, d, d);
                int off = r != null ? b * pre * d : 0;
                for (int p = 0; p < pre; p++) System.arraycopy(rb, off + p * d, out, p * m + mat.to[b] * d, d);
            }
            return out;
        }
        for (int p = 0; p < pre; p++) { // per slice: block b's transpose times rows b, into rows to[b]
            int base = p * n * post;
            float[] r = batched ? NativeGemm.batched(blks, true, pre == 1 ? x : java.util.Arrays.copyOfRange(x, base, base + n * post), h, d, d, post) : null;
            for (int b = 0; b < h; b++) {
                float[] rb = r != null ? r : Dense.product(java.util.Arrays.copyOfRange(blks, b * d * d, (b + 1) * d * d), true,
                        java.util.Arrays.copyOfRange(x, base + b * d * post, base + (b + 1) * d * post), false, d, d, post);
                System.arraycopy(rb, r != null ? b * d * post : 0, out, (p * m + mat.to[b] * d) * post, d * post);
            }
        }
        return out;
    }

    /** A copy of {@code x} (viewed as {@code [pre, n, post]}) with slice i along the axis multiplied by {@code s[i]}. */
    static float[] scaled(float[] x, int pre, int n, int post, double[] s) {
        float[] y = io.otfuse.ot.ArrayPool.floats(x.length); // every entry is written
        for (int p = 0; p < pre; p++) {
            if (post == 1) RowKernels.multiplyInto(x, p * n, s, 1, y, n); // the last axis: an element-wise product per row
            else for (int i = 0; i < n; i++) RowKernels.scaleInto(x, (p * n + i) * post, post, s[i], y, (p * n + i) * post);
        }
        return y;
    }

    /** Multiplies slice j along the axis of {@code y} (viewed as {@code [pre, m, post]}) by {@code s[j] * u} (s null: by u). */
    static void scaleInPlace(float[] y, int pre, int m, int post, double[] s, double u) {
        if (s == null) {
            RowKernels.scaleInto(y, 0, y.length, u, y, 0);
            return;
        }
        for (int p = 0; p < pre; p++) {
            if (post == 1) RowKernels.multiplyInto(y, p * m, s, u, y, m);
            else for (int j = 0; j < m; j++) RowKernels.scaleInto(y, (p * m + j) * post, post, s[j] * u, y, (p * m + j) * post);
        }
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
