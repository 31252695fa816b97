package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The row passes (SIMD when the JVM has the vector module, as in the test JVM) against plain double loops. */
class RowKernelsTest {
    @Test
    void planRowStatsMatchTheTextbookSums() {
        Random r = new Random(7);
        for (int m : new int[] {1, 7, 8, 9, 64, 1003}) {
            double[] plan = new double[3 + m];
            for (int j = 0; j < plan.length; j++) plan[j] = r.nextInt(4) == 0 ? 0 : r.nextDouble() * 1e-3; // zeros: 0 log 0 = 0
            double[] col = new double[m], want = new double[m];
            for (int j = 0; j < m; j++) col[j] = want[j] = r.nextDouble();
            double s = 0, h = 0;
            for (int j = 0; j < m; j++) {
                double x = plan[3 + j];
                s += x;
                want[j] += x;
                if (x > 0) h -= x * Math.log(x);
            }
            double[] out = new double[2];
            RowKernels.planRowStats(plan, 3, m, col, out);
            assertEquals(s, out[0], 1e-15 * m, "row sum, m = " + m);
            assertEquals(h, out[1], 1e-13 * Math.max(1, Math.abs(h)), "entropy, m = " + m);
            for (int j = 0; j < m; j++) assertEquals(want[j], col[j], 0.0, "column " + j);
        }
    }

    @Test
    void distanceRowsEqualTheScalarFormulaBitForBit() {
        Random r = new Random(8);
        for (int m : new int[] {1, 8, 13, 1001}) {
            float[] g = new float[2 * m];
            double[] nb = new double[m];
            for (int j = 0; j < m; j++) {
                g[m + j] = (float) r.nextGaussian();
                nb[j] = Math.abs(r.nextGaussian()) * 2;
            }
            g[m] = 1e9f; // a negative squared distance from rounding: clamped at 0
            for (boolean squared : new boolean[] {false, true}) {
                double[] out = new double[2 * m];
                double mx = RowKernels.distanceRow(g, 0.7, nb, out, m, m, squared);
                double wantMax = 0;
                for (int j = 0; j < m; j++) {
                    double sq = Math.max(0, 0.7 + nb[j] - 2.0 * g[m + j]);
                    double d = squared ? sq : Math.sqrt(sq);
                    assertEquals(d, out[m + j], 0.0, "entry " + j + " of " + m);
                    wantMax = Math.max(wantMax, d);
                }
                assertEquals(wantMax, mx, 0.0);
            }
        }
    }

    @Test
    void rowsTimesMatrixMatchesDoubleSums() {
        Random r = new Random(9);
        int n = 300, m = 2500; // above the threshold for both cores
        float[] x = new float[n], a = new float[n * m];
        for (int i = 0; i < n; i++) x[i] = i % 5 == 0 ? 0 : (float) r.nextGaussian();
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        float[] got = RowKernels.rowsTimesMatrix(x, 1, a, n, m, new float[m]);
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double) x[i] * a[i * m + j];
            assertEquals(s, got[j], 1e-4 * Math.sqrt(n), "column " + j);
        }
        // several rows at once, through Dense.product (below the engine's size): each row as its own vector
        int rows = 3;
        float[] xs = new float[rows * n];
        for (int i = 0; i < xs.length; i++) xs[i] = i % 7 == 0 ? 0 : (float) r.nextGaussian();
        float[] many = Dense.product(xs, false, a, false, rows, n, m);
        for (int q = 0; q < rows; q++) {
            float[] one = RowKernels.rowsTimesMatrix(java.util.Arrays.copyOfRange(xs, q * n, (q + 1) * n), 1, a, n, m, new float[m]);
            for (int j = 0; j < m; j++) assertEquals(one[j], many[q * m + j], 0f, "row " + q + " column " + j);
            for (int j = 0; j < m; j += 97) {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double) xs[q * n + i] * a[i * m + j];
                assertEquals(s, many[q * m + j], 1e-4 * Math.sqrt(n), "row " + q + " column " + j + " against double sums");
            }
        }
    }

    @Test
    void normalisedRowsEqualTheScalarFormulaBitForBit() {
        Random r = new Random(10);
        for (int m : new int[] {1, 8, 13, 1001}) {
            double[] plan = new double[2 * m], cs = new double[m];
            for (int j = 0; j < m; j++) {
                plan[m + j] = r.nextInt(3) == 0 ? 0 : r.nextDouble() * 1e-4;
                cs[j] = r.nextInt(7) == 0 ? 0 : r.nextDouble() * 1e-2; // an empty column maps to 0
            }
            for (boolean byColumn : new boolean[] {false, true}) {
                float[] out = new float[2 * m];
                java.util.Arrays.fill(out, m, 2 * m, Float.NaN); // a pooled array comes dirty: every entry of the row is written
                int nnz = RowKernels.normalisedRow(plan, m, m, 3072.0, byColumn ? cs : null, out);
                int want = 0;
                for (int j = 0; j < m; j++) {
                    double p = plan[m + j];
                    if (p != 0) want++;
                    float v = p == 0 ? 0f : byColumn ? (cs[j] > 0 ? (float) (p / cs[j]) : 0f) : (float) (p * 3072.0);
                    assertEquals(v, out[m + j], 0f, "entry " + j + " of " + m + (byColumn ? " by column" : ""));
                    assertEquals(0f, out[j], 0f, "outside the row");
                }
                assertEquals(want, nnz);
            }
        }
    }

    @Test
    void sumsOfSquaresAndScalingMatchDoubleLoops() {
        Random r = new Random(11);
        for (int len : new int[] {1, 8, 15, 4099}) {
            float[] x = new float[len + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 3);
            double want = 0;
            for (int i = 5; i < x.length; i++) want += (double) x[i] * x[i];
            assertEquals(want, RowKernels.sumSquares(x, 5, len), 1e-14 * want * Math.max(1, Math.log(len)), "length " + len);
            float[] out = new float[x.length + 2];
            RowKernels.scaleInto(x, 5, len, 0.37, out, 7);
            for (int i = 0; i < out.length; i++) assertEquals(i < 7 ? 0f : (float) (x[i - 2] * 0.37), out[i], 0f, "entry " + i);
        }
    }

    @Test
    void aNanDistanceMakesTheRowMaximumNanAndEveryEntryIsStillWritten() {
        int m = 37;
        float[] g = new float[m];
        double[] nb = new double[m];
        java.util.Arrays.fill(nb, 1.0);
        g[3] = Float.NaN;
        double[] out = new double[m];
        java.util.Arrays.fill(out, -5.0); // a reused array: stale values must all be overwritten
        assertEquals(Double.NaN, RowKernels.distanceRow(g, 2.0, nb, out, 0, m, true));
        for (int j = 0; j < m; j++) {
            if (j == 3) assertEquals(Double.NaN, out[j]);
            else assertEquals(3.0, out[j], 0.0, "entry " + j);
        }
    }

    @Test
    void normalisedConcatenationEqualsNormalisingEachPartThenConcatenating() {
        Random r = new Random(12);
        for (String mode : new String[] {"row-l2", "max", "abs-max", "rms", "none"}) {
            java.util.List<GroundMetric.Features> parts = new java.util.ArrayList<>();
            for (int dim : new int[] {5, 1, 19}) {
                float[] x = new float[7 * dim];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 2 - 0.5);
                parts.add(new GroundMetric.Features(x, 7, dim));
            }
            java.util.List<float[]> before = parts.stream().map(f -> f.x().clone()).toList();
            GroundMetric.Features want = GroundMetric.Features.concat(parts.stream().map(f -> GroundMetric.normaliseWeights(f, mode)).toList());
            GroundMetric.Features got = GroundMetric.normaliseAndConcat(parts, mode);
            assertEquals(want.dim(), got.dim());
            for (int i = 0; i < want.x().length; i++) assertEquals(want.x()[i], got.x()[i], 0f, mode + " entry " + i);
            for (int p = 0; p < parts.size(); p++) org.junit.jupiter.api.Assertions.assertArrayEquals(before.get(p), parts.get(p).x(), "shared part " + p + " unchanged");
            // owned features are normalised in place, with the same values
            GroundMetric.Features own = new GroundMetric.Features(before.get(2).clone(), 7, 19, true);
            GroundMetric.Features copy = GroundMetric.normaliseWeights(new GroundMetric.Features(before.get(2), 7, 19), mode);
            GroundMetric.Features in = GroundMetric.normaliseWeights(own, mode);
            org.junit.jupiter.api.Assertions.assertArrayEquals(copy.x(), in.x(), mode);
            if (!mode.equals("none")) org.junit.jupiter.api.Assertions.assertSame(own.x(), in.x(), mode + ": in place");
        }
    }
}
