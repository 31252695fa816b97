package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.report.Downsample;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast paths of the executor against plain reference computations: products with transposed operands (Java
 * kernel and engine BLAS), sparse plans against the same plan held densely, one-pass statistics and normalisations
 * against the textbook loops, block means against {@link Downsample}.
 */
class FastPathsTest {
    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** {@code op(A) op(B)} in double, straight from the definition. */
    static double[] naive(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols) {
        double[] c = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) (ta ? a[p * rows + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * cols + j]);
                c[i * cols + j] = s;
            }
        }
        return c;
    }

    @Test
    void productsWithTransposedOperandsMatchTheDefinition() {
        // 37 x 23 x 41 stays on the Java kernel; the others (36-216 M multiply-adds) go to the engine when it loads, the
        // third through operand buffers left larger by the one before, the last (a 54 MB result) in two blocks of rows
        // when A is not transposed
        for (int[] dims : new int[][] {{37, 23, 41}, {520, 310, 290}, {400, 300, 300}, {13500, 16, 1000}}) {
            int rows = dims[0], k = dims[1], cols = dims[2];
            float[] a = gaussian(rows * k, 1), b = gaussian(k * cols, 2);
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] got = Dense.product(a, ta, b, tb, rows, k, cols);
                    double[] want = naive(a, ta, b, tb, rows, k, cols);
                    assertEquals(want.length, got.length);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-4 * Math.sqrt(k), "(" + rows + "x" + k + "x" + cols + ", ta " + ta + ", tb " + tb + ") entry " + i);
                    }
                }
            }
        }
    }

    @Test
    void transposeMatchesTheDefinition() {
        float[] x = gaussian(130 * 67, 3);
        float[] t = Dense.transpose(x, 130, 67);
        for (int i = 0; i < 130; i++) for (int j = 0; j < 67; j++) assertEquals(x[i * 67 + j], t[j * 130 + i]);
    }

    /** A plan with a few non-zeros per row (rectangular, uneven masses, one duplicate entry that must be added). */
    static TransportMap[] sparseAndDense(int n, int m, long seed) {
        Random r = new Random(seed);
        int nnz = 3 * n + 1;
        int[] rows = new int[nnz], cols = new int[nnz];
        double[] w = new double[nnz];
        double[] dense = new double[n * m];
        for (int e = 0; e < nnz - 1; e++) {
            rows[e] = e % n;
            cols[e] = r.nextInt(m);
            w[e] = r.nextDouble() / nnz;
        }
        rows[nnz - 1] = rows[0]; // duplicate position
        cols[nnz - 1] = cols[0];
        w[nnz - 1] = 0.25 / nnz;
        // shuffle the entry order: the sparse map must not depend on it
        for (int e = nnz - 1; e > 0; e--) {
            int f = r.nextInt(e + 1);
            int t = rows[e]; rows[e] = rows[f]; rows[f] = t;
            t = cols[e]; cols[e] = cols[f]; cols[f] = t;
            double d = w[e]; w[e] = w[f]; w[f] = d;
        }
        for (int e = 0; e < nnz; e++) dense[rows[e] * m + cols[e]] += w[e];
        return new TransportMap[] {TransportMap.sparse(n, m, rows, cols, w), new TransportMap(dense, n, m)};
    }

    @Test
    void sparsePlansAgreeWithTheSamePlanHeldDensely() {
        TransportMap[] pair = sparseAndDense(50, 70, 4);
        TransportMap sp = pair[0], de = pair[1];
        assertTrue(sp.isSparse());
        assertArrayEquals(de.plan(), sp.plan(), 1e-17);
        for (TransportMap.Norm norm : TransportMap.Norm.values()) {
            float[] a = sp.normalised(norm).dense(), b = de.normalised(norm).dense();
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], Math.ulp(b[i]), norm + " entry " + i);
        }
        assertEquals(de.entropy(), sp.entropy(), 1e-12);
        assertEquals(de.marginalError(), sp.marginalError(), 1e-12);
        double[] cost = new double[50 * 70];
        Random r = new Random(5);
        for (int i = 0; i < cost.length; i++) cost[i] = r.nextDouble();
        assertEquals(de.dot(cost), sp.dot(cost), 1e-12);
        double[][] bs = sp.blockMeans(16), bd = de.blockMeans(16);
        for (int i = 0; i < bs.length; i++) assertArrayEquals(bd[i], bs[i], 1e-15);
    }

    @Test
    void statisticsAndNormalisationsMatchTheTextbookLoops() {
        int n = 300, m = 200; // several row blocks
        Random r = new Random(6);
        double[] p = new double[n * m];
        double tot = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextDouble() < 0.1 ? 0 : r.nextDouble();
            tot += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= tot;
        TransportMap t = new TransportMap(p.clone(), n, m);
        double h = 0, err = 0;
        double[] row = new double[n], col = new double[m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) {
            double x = p[i * m + j];
            if (x > 0) h -= x * Math.log(x);
            row[i] += x;
            col[j] += x;
        }
        for (int i = 0; i < n; i++) err += Math.abs(row[i] - 1.0 / n);
        for (int j = 0; j < m; j++) err += Math.abs(col[j] - 1.0 / m);
        assertEquals(h, t.entropy(), 1e-12 * h);
        assertEquals(err, t.marginalError(), 1e-12);
        float[] rows = t.normalised(TransportMap.Norm.ROWS).dense();
        float[] rs = t.normalised(TransportMap.Norm.ROW_STOCHASTIC).dense();
        float[] cs = t.normalised(TransportMap.Norm.COL_STOCHASTIC).dense();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double x = p[i * m + j];
                assertEquals((float) (x * n), rows[i * m + j]);
                assertEquals((float) (x / row[i]), rs[i * m + j], Math.ulp((float) (x / row[i])));
                assertEquals((float) (x / col[j]), cs[i * m + j], Math.ulp((float) (x / col[j])));
            }
        }
        double[][] got = t.blockMeans(128), want = Downsample.blockMean(p, n, m, 128);
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], got[i], 0.0);
    }

    @Test
    void denseMovesMatchTheDefinitionOnEverySide() {
        // 700 x 700 map over a [700 x 80] tensor: 39 M multiply-adds, the engine's size class
        int n = 700, m = 700, post = 80;
        Random r = new Random(7);
        double[] p = new double[n * m];
        for (int i = 0; i < p.length; i++) p[i] = r.nextDouble() / p.length * 2;
        TransportMap.Matrix mat = new TransportMap(p, n, m).normalised(TransportMap.Norm.COL_STOCHASTIC);
        float[] md = mat.dense();
        float[] x = gaussian(n * post, 8);
        float[] out = Transport.apply(x, new long[] {n, post}, 0, mat); // axis 0: M^T x
        for (int j = 0; j < m; j += 7) {
            for (int q = 0; q < post; q++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double) md[i * m + j] * x[i * post + q];
                assertEquals(s, out[j * post + q], 1e-4);
            }
        }
        float[] y = gaussian(post * n, 9);
        float[] out2 = Transport.apply(y, new long[] {post, n}, 1, mat); // axis 1: y M
        for (int q = 0; q < post; q++) {
            for (int j = 0; j < m; j += 7) {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double) y[q * n + i] * md[i * m + j];
                assertEquals(s, out2[q * m + j], 1e-4);
            }
        }
    }

    /**
     * Large dense maps (from {@link TransportMap#SHARED_MIN} entries) hold one float copy of the plan; each normalised form
     * scales the tensor before or the result after the product. Moves along the first, the last and a middle axis must
     * equal the definition with the normalised matrix computed in double from the plan.
     */
    @Test
    void scaledFormsOfLargeMapsMoveLikeTheNormalisedMatrix() {
        int n = 1100, m = 1000; // 1.1 M entries
        Random r = new Random(12);
        double[] p = new double[n * m];
        double tot = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = (i / m) % 97 == 5 ? 0 : r.nextDouble(); // a few empty rows: their stochastic scale is 0
            tot += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= tot;
        double[] row = new double[n], col = new double[m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) {
            row[i] += p[i * m + j];
            col[j] += p[i * m + j];
        }
        TransportMap t = new TransportMap(p.clone(), n, m);
        t.keepOnly(java.util.EnumSet.allOf(TransportMap.Norm.class)); // as the executor does for large maps: the plan goes
        for (TransportMap.Norm norm : TransportMap.Norm.values()) {
            TransportMap.Matrix mat = t.normalised(norm);
            assertTrue(mat.scaled(), norm + " shares the float plan");
            int pre = 3, post = 5;
            float[] x = gaussian(pre * n * post, 13);
            long[][] shapes = {{n, post}, {pre, n}, {pre, n, post}};
            int[] axes = {0, 1, 1};
            for (int c = 0; c < 3; c++) {
                long[] shape = shapes[c];
                int a = axes[c];
                int pr = 1, po = 1;
                for (int d = 0; d < a; d++) pr *= (int) shape[d];
                for (int d = a + 1; d < shape.length; d++) po *= (int) shape[d];
                float[] got = Transport.apply(java.util.Arrays.copyOf(x, pr * n * po), shape, a, mat);
                for (int pp = 0; pp < pr; pp++) {
                    for (int j = 0; j < m; j += 37) {
                        for (int q = 0; q < po; q++) {
                            double s = 0, scale = 0;
                            for (int i = 0; i < n; i++) {
                                double v = p[i * m + j];
                                double mij = switch (norm) {
                                    case ROWS -> v * n;
                                    case ROW_STOCHASTIC -> row[i] > 0 ? v / row[i] : 0;
                                    case COL_STOCHASTIC -> col[j] > 0 ? v / col[j] : 0;
                                };
                                s += mij * x[(pp * n + i) * po + q];
                                scale += Math.abs(mij * x[(pp * n + i) * po + q]);
                            }
                            assertEquals(s, got[(pp * m + j) * po + q], 1e-5 * scale + 1e-6, norm + " case " + c + " at " + pp + "," + j + "," + q);
                        }
                    }
                }
            }
            float[] d = mat.dense(); // the normalised matrix itself, for callers that read entries
            for (int e = 0; e < d.length; e += 1009) {
                int i = e / m, j = e % m;
                double v = p[e];
                double mij = switch (norm) {
                    case ROWS -> v * n;
                    case ROW_STOCHASTIC -> row[i] > 0 ? v / row[i] : 0;
                    case COL_STOCHASTIC -> col[j] > 0 ? v / col[j] : 0;
                };
                assertEquals(mij, d[e], 2e-7 * Math.abs(mij), norm + " entry " + e);
            }
        }
        TransportMap u = new TransportMap(p.clone(), n, m);
        u.keepOnly(java.util.EnumSet.allOf(TransportMap.Norm.class));
        io.otfuse.ot.ArrayPool.clear();
        u.release(); // the one shared float plan goes back to the pool (the double plan already went at keepOnly)
        assertEquals(1, io.otfuse.ot.ArrayPool.pooled());
        io.otfuse.ot.ArrayPool.clear();
    }
    /**
     * A head-aware map (blocks of rows mapped onto permuted blocks of columns) moves tensors block by block. Along the
     * first, the last and a middle axis, every form must equal the same plan moved without the block structure (the
     * dense Java kernel) bit for bit, since both add the non-zero terms in the same order; and a plan with mass outside
     * its blocks must be refused.
     */
    @Test
    void blockStructuredMapsMoveLikeTheDenseMap() {
        int h = 6, d = 8, n = h * d;
        int[] to = {3, 0, 5, 1, 4, 2};
        Random r = new Random(21);
        double[] p = new double[n * n];
        for (int b = 0; b < h; b++) {
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) p[(b * d + i) * n + to[b] * d + j] = (i + j) % 5 == 0 ? 0 : r.nextDouble() / (n * d);
        }
        for (TransportMap.Norm norm : TransportMap.Norm.values()) {
            TransportMap.Matrix blocked = new TransportMap(p.clone(), n, n).withBlocks(d, to).normalised(norm);
            TransportMap.Matrix plain = new TransportMap(p.clone(), n, n).normalised(norm);
            assertTrue(blocked.blocked() && !plain.blocked() && !plain.sparse(), norm.toString());
            long[][] shapes = {{n, 7}, {5, n}, {3, n, 4}, {n}};
            int[] axes = {0, 1, 1, 0};
            for (int c = 0; c < shapes.length; c++) {
                int len = 1;
                for (long s : shapes[c]) len *= (int) s;
                float[] x = gaussian(len, 30 + c);
                x[3] = 0; // a zero input is skipped by both kernels
                assertArrayEquals(Transport.apply(x, shapes[c], axes[c], plain), Transport.apply(x, shapes[c], axes[c], blocked), norm + " case " + c);
            }
        }
        // ViT-B's head size: 12 heads of 64, moves of 38 M multiply-adds run as one batched product on the engine
        int hb = 12, db = 64, nb = hb * db;
        int[] toB = {4, 7, 0, 11, 1, 9, 2, 10, 3, 6, 5, 8};
        double[] pb = new double[nb * nb];
        for (int b = 0; b < hb; b++) {
            for (int i = 0; i < db; i++) for (int j = 0; j < db; j++) pb[(b * db + i) * nb + toB[b] * db + j] = r.nextDouble() / (nb * db);
        }
        TransportMap.Matrix blockedB = new TransportMap(pb.clone(), nb, nb).withBlocks(db, toB).normalised(TransportMap.Norm.COL_STOCHASTIC);
        TransportMap.Matrix plainB = new TransportMap(pb, nb, nb).normalised(TransportMap.Norm.COL_STOCHASTIC);
        float[] xb = gaussian(nb * nb, 50);
        for (int axis = 0; axis < 2; axis++) {
            float[] want = Transport.apply(xb, new long[] {nb, nb}, axis, plainB);
            float[] got = Transport.apply(xb, new long[] {nb, nb}, axis, blockedB);
            for (int e = 0; e < want.length; e++) assertEquals(want[e], got[e], 2e-5f * (1 + Math.abs(want[e])), "axis " + axis + " entry " + e);
        }
        double[] bad = p.clone();
        bad[1] = 1e-3; // row 0 is in block 0, which maps onto column block 3
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new TransportMap(bad, n, n).withBlocks(d, to));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new TransportMap(p.clone(), n, n).withBlocks(d, new int[] {0, 0, 1, 2, 3, 4}));
    }
    /**
     * Head costs are solved in place inside the full cost matrix: each entry must be the smallest mean cost over all
     * neuron permutations between the two heads (brute force over 6! orders), also with tied costs, where any optimal
     * assignment gives the same value.
     */
    @Test
    void headCostsAreTheExactAssignmentCostOfEachBlock() {
        int h = 3, d = 6, m = h * d;
        Random r = new Random(40);
        for (boolean ties : new boolean[] {false, true}) {
            double[] c = new double[m * m];
            for (int i = 0; i < c.length; i++) c[i] = ties ? r.nextInt(3) : r.nextDouble();
            double[] got = HeadAware.headCosts(c, m, h, d);
            for (int p = 0; p < h; p++) {
                for (int q = 0; q < h; q++) {
                    double best = bestPermutation(c, m, p * d, q * d, d, new int[d], new boolean[d], 0);
                    assertEquals(best / d, got[p * h + q], 1e-12, "head " + p + " -> " + q + (ties ? " with ties" : ""));
                }
            }
            int[] match = HeadAware.matchHeads(got, h);
            double chosen = 0, other = Double.MAX_VALUE;
            for (int p = 0; p < h; p++) chosen += got[p * h + match[p]];
            int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
            for (int[] pm : perms) other = Math.min(other, got[pm[0]] + got[h + pm[1]] + got[2 * h + pm[2]]);
            assertEquals(other, chosen, 1e-12, "the head matching is an optimal assignment of the head costs");
        }
    }

    private static double bestPermutation(double[] c, int m, int r0, int c0, int d, int[] perm, boolean[] used, int i) {
        if (i == d) {
            double s = 0;
            for (int k = 0; k < d; k++) s += c[(r0 + k) * m + c0 + perm[k]];
            return s;
        }
        double best = Double.MAX_VALUE;
        for (int j = 0; j < d; j++) {
            if (used[j]) continue;
            used[j] = true;
            perm[i] = j;
            best = Math.min(best, bestPermutation(c, m, r0, c0, d, perm, used, i + 1));
            used[j] = false;
        }
        return best;
    }
    /**
     * A large map that a solver returned only in float (with the sums of its unrounded plan) must report the statistics and
     * block means of the map built from the double plan, and move tensors like it, for every form; its dense plan, if asked
     * for, is the floats widened.
     */
    @Test
    void floatOnlyMapsMatchTheMapOfTheDoublePlan() {
        int n = 1100, m = 1000;
        Random r = new Random(31);
        double[] p = new double[n * m];
        double tot = 0;
        for (int i = 0; i < p.length; i++) tot += p[i] = r.nextDouble();
        float[] f = new float[n * m];
        double[] rows = new double[n], cols = new double[m];
        double h = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] /= tot;
            f[i] = (float) p[i];
            rows[i / m] += p[i];
            cols[i % m] += p[i];
            h -= p[i] * Math.log(p[i]);
        }
        TransportMap d = new TransportMap(p.clone(), n, m);
        TransportMap fl = TransportMap.fromFloat(f, n, m, rows, cols, h);
        assertEquals(d.entropy(), fl.entropy(), 1e-10);
        assertEquals(d.marginalError(), fl.marginalError(), 1e-12);
        double[][] bd = d.blockMeans(64), bf = fl.blockMeans(64);
        for (int i = 0; i < bd.length; i++) for (int j = 0; j < bd[i].length; j++) assertEquals(bd[i][j], bf[i][j], 1e-6 * bd[i][j], "block " + i + "," + j);
        d.keepOnly(java.util.EnumSet.allOf(TransportMap.Norm.class));
        fl.keepOnly(java.util.EnumSet.allOf(TransportMap.Norm.class));
        for (TransportMap.Norm norm : TransportMap.Norm.values()) {
            float[] x = gaussian(3 * n, 40);
            float[] a = Transport.apply(x, new long[] {3, n}, 1, d.normalised(norm));
            float[] b = Transport.apply(x, new long[] {3, n}, 1, fl.normalised(norm));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f * Math.abs(a[i]) + 1e-6f, norm + " entry " + i);
        }
        TransportMap fresh = TransportMap.fromFloat(f, n, m, rows, cols, h);
        assertEquals(f[12345], fresh.plan()[12345], 0.0);
    }
    /** Batched engine products, with and without the left operand transposed, against the definition in double. */
    @Test
    void batchedProductsMatchTheDefinition() {
        assertTrue(NativeGemm.usable(Long.MAX_VALUE), "the PyTorch engine loads (it is on the classpath)");
        int batch = 3, rows = 5, k = 7, cols = 11;
        for (boolean ta : new boolean[] {false, true}) {
            float[] a = gaussian(batch * rows * k, 60), b = gaussian(batch * k * cols, 61);
            float[] c = NativeGemm.batched(a, ta, b, batch, rows, k, cols);
            for (int t = 0; t < batch; t++) {
                double[] want = naive(java.util.Arrays.copyOfRange(a, t * rows * k, (t + 1) * rows * k), ta,
                        java.util.Arrays.copyOfRange(b, t * k * cols, (t + 1) * k * cols), false, rows, k, cols);
                for (int e = 0; e < rows * cols; e++) assertEquals(want[e], c[t * rows * cols + e], 1e-5 * (1 + Math.abs(want[e])), "ta " + ta + " batch " + t + " entry " + e);
            }
        }
    }
}
