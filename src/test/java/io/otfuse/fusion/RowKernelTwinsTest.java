package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.otfuse.ot.JitWarmup;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RowKernels} gives the same bits whether its SIMD kernels ({@link RowVectorKernels}) run or their plain-Java
 * twins do (which is what the warm-up relies on), compared as raw bits for lengths around the lane count, with zeros,
 * negative and non-positive column sums. The entropy of {@code planRowStats} is the one exception: the twin's
 * {@code Math.log} and the compiled vector logarithm may differ in the last bit, so it is compared to 1e-14.
 */
class RowKernelTwinsTest {
    private static final int[] LENGTHS = {1, 3, 4, 7, 8, 9, 16, 17, 33, 100, 257};

    @AfterEach
    void measuredAgain() {
        JitWarmup.override(null);
    }

    /** Runs {@code f} on the twins, then on the SIMD kernels; returns both results. */
    private static <T> Object[] both(Supplier<T> f) {
        JitWarmup.override(Boolean.FALSE);
        T twin = f.get();
        JitWarmup.override(Boolean.TRUE);
        T simd = f.get();
        return new Object[] {twin, simd};
    }

    private static void same(double[] a, double[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int j = 0; j < a.length; j++) assertEquals(Double.doubleToRawLongBits(a[j]), Double.doubleToRawLongBits(b[j]), what + " at " + j + ": " + a[j] + " vs " + b[j]);
    }

    private static void same(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int j = 0; j < a.length; j++) assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), what + " at " + j + ": " + a[j] + " vs " + b[j]);
    }

    private static float[] floats(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(8) == 0 ? 0f : (float) (r.nextGaussian() * Math.exp(4 * r.nextGaussian()));
        return x;
    }

    @Test
    void everyKernelGivesTheSameBits() {
        assumeTrue(RowKernels.VECTOR, "SIMD row kernels not available in this JVM");
        Random r = new Random(17);
        for (int m : LENGTHS) {
            String at = " m=" + m;
            double[] plan = new double[m + 5];
            for (int j = 0; j < plan.length; j++) plan[j] = r.nextInt(5) == 0 ? 0.0 : r.nextDouble() / m;
            double[] colBase = new double[m];
            for (int j = 0; j < m; j++) colBase[j] = r.nextDouble();

            Object[] stats = both(() -> {
                double[] col = colBase.clone();
                double[] out = new double[2];
                RowKernels.planRowStats(plan, 5, m, col, out);
                return new double[][] {col, out};
            });
            double[][] st = (double[][]) stats[0], ss = (double[][]) stats[1];
            same(st[0], ss[0], "planRowStats columns" + at);
            assertEquals(Double.doubleToRawLongBits(ss[1][0]), Double.doubleToRawLongBits(st[1][0]), "planRowStats row sum" + at);
            assertEquals(ss[1][1], st[1][1], 1e-14 * Math.abs(ss[1][1]), "planRowStats entropy" + at);

            float[] g = floats(r, m + 2);
            double[] nb = new double[m];
            for (int j = 0; j < m; j++) nb[j] = Math.abs(r.nextGaussian()) * 10;
            for (boolean squared : new boolean[] {false, true}) {
                Object[] d = both(() -> {
                    double[] out = new double[m + 2];
                    double mx = RowKernels.distanceRow(g, 4.0, nb, out, 2, m, squared);
                    double[] res = java.util.Arrays.copyOf(out, m + 3);
                    res[m + 2] = mx;
                    return res;
                });
                same((double[]) d[0], (double[]) d[1], "distanceRow squared=" + squared + at);
            }

            double[] colSums = new double[m];
            for (int j = 0; j < m; j++) colSums[j] = r.nextInt(6) == 0 ? -r.nextDouble() * (r.nextBoolean() ? 1 : 0) : r.nextDouble();
            for (double[] cs : new double[][] {null, colSums}) {
                Object[] nr = both(() -> {
                    float[] out = new float[m + 5];
                    int nnz = RowKernels.normalisedRow(plan, 5, m, 3.5, cs, out);
                    float[] res = java.util.Arrays.copyOf(out, m + 6);
                    res[m + 5] = nnz;
                    return res;
                });
                same((float[]) nr[0], (float[]) nr[1], "normalisedRow " + (cs == null ? "scaled" : "column-stochastic") + at);
            }

            float[] x = floats(r, m + 7);
            Object[] sq = both(() -> new double[] {RowKernels.sumSquares(x, 7, m)});
            same((double[]) sq[0], (double[]) sq[1], "sumSquares" + at);
            Object[] sc = both(() -> {
                float[] out = new float[m + 1];
                RowKernels.scaleInto(x, 7, m, 0.3, out, 1);
                return out;
            });
            same((float[]) sc[0], (float[]) sc[1], "scaleInto" + at);

            double[] shift = new double[m];
            double[] scale = new double[m];
            for (int j = 0; j < m; j++) {
                shift[j] = r.nextGaussian();
                scale[j] = 0.1 + r.nextDouble();
            }
            Object[] cols = both(() -> {
                double[] sum = colBase.clone();
                double[] sq0 = colBase.clone();
                double[] sq1 = colBase.clone();
                float[] out = new float[m + 2];
                RowKernels.addColumns(x, 7, m, sum);
                RowKernels.addSquaredColumns(x, 7, m, null, sq0);
                RowKernels.addSquaredColumns(x, 7, m, shift, sq1);
                RowKernels.standardiseColumns(x, 7, m, shift, scale, out, 2);
                double[] all = new double[4 * m + 2];
                for (int j = 0; j < m; j++) {
                    all[j] = sum[j];
                    all[m + j] = sq0[j];
                    all[2 * m + j] = sq1[j];
                }
                for (int j = 0; j < m + 2; j++) all[3 * m + j] = out[j];
                return all;
            });
            same((double[]) cols[0], (double[]) cols[1], "column kernels" + at);
        }
    }
}
