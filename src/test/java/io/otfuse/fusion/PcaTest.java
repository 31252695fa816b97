package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.testing.Python;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Activation PCA against the reference implementation's formula run in float64 PyTorch (Debian's python3-torch), and
 * the symmetric eigen-decomposition under it against its defining identities.
 */
class PcaTest {
    @TempDir
    Path tmp;

    @Test
    void eigenDecompositionSatisfiesItsDefinition() {
        Random rnd = new Random(3);
        int[] sizes = {1, 2, 3, 10, 57};
        for (int n : sizes) check(randomSymmetric(rnd, n), n, "random " + n);
        // repeated and zero eigenvalues
        double[] id = new double[9];
        for (int i = 0; i < 3; i++) id[i * 3 + i] = 1;
        check(id, 3, "identity");
        check(new double[] {2, 0, 0, 0, 2, 0, 0, 0, 1}, 3, "diag(2, 2, 1)");
        double[] low = new double[8 * 8]; // rank 2
        double[] x = new double[8], y = new double[8];
        for (int i = 0; i < 8; i++) {
            x[i] = rnd.nextGaussian();
            y[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) low[i * 8 + j] = x[i] * x[j] + 0.5 * y[i] * y[j];
        SymmetricEigen e = check(low, 8, "rank 2");
        for (int c = 2; c < 8; c++) assertEquals(0, e.values[c], 1e-12, "rank 2: eigenvalue " + c);
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[5], 2));
    }

    private static double[] randomSymmetric(Random rnd, int n) {
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rnd.nextGaussian();
        return a;
    }

    private static SymmetricEigen check(double[] a, int n, String what) {
        SymmetricEigen e = SymmetricEigen.of(a, n);
        double scale = 1, trace = 0, sum = 0;
        for (double v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < n; i++) trace += a[i * n + i];
        for (int c = 0; c < n; c++) {
            sum += e.values[c];
            if (c > 0) assertTrue(e.values[c] <= e.values[c - 1], what + ": eigenvalues not in descending order");
            for (int i = 0; i < n; i++) { // (A v)_i = lambda v_i
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i * n + j] * e.vectors[j * n + c];
                assertEquals(e.values[c] * e.vectors[i * n + c], av, 1e-11 * scale * n, what + ": A v = lambda v, vector " + c);
            }
            for (int d = 0; d <= c; d++) { // V^T V = I
                double dot = 0;
                for (int i = 0; i < n; i++) dot += e.vectors[i * n + c] * e.vectors[i * n + d];
                assertEquals(c == d ? 1 : 0, dot, 1e-12 * n, what + ": columns " + c + ", " + d + " not orthonormal");
            }
        }
        assertEquals(trace, sum, 1e-11 * scale * n, what + ": trace");
        return e;
    }

    @Test
    void projectionMatchesTheReferenceFormula() throws Exception {
        projectionCases(1e-5);
    }

    /** The engine path (float products, used for large problems) on the same cases: float rounding of the scatter. */
    @Test
    void engineProductsMatchTheReferenceFormulaToo() throws Exception {
        long saved = GroundMetric.PCA_ENGINE_MACS;
        GroundMetric.PCA_ENGINE_MACS = 0;
        try {
            projectionCases(1e-4);
        } finally {
            GroundMetric.PCA_ENGINE_MACS = saved;
        }
    }

    private void projectionCases(double tol) throws Exception {
        Random rnd = new Random(11);
        // more samples than neurons, fewer samples than neurons, and neurons with large means (the reference
        // subtracts the anchor's means; the principal directions make that irrelevant)
        int[][] cases = {{30, 12, 5, 0}, {16, 40, 6, 0}, {25, 9, 4, 1}};
        for (int[] cs : cases) {
            int r = cs[0], n = cs[1], k = cs[2];
            float[][] act = new float[2][r * n]; // [R x n] sample-major, as the reference holds them
            for (int t = 0; t < 2; t++) {
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < n; j++) act[t][i * n + j] = (float) (rnd.nextGaussian() + (cs[3] == 1 ? 3 * j - 7 : 0));
                }
            }
            double[] ref = referenceDistances(act, r, n, k);
            int[] used = new int[1];
            GroundMetric.Features[] f = GroundMetric.pca(neuronMajor(act[0], r, n), neuronMajor(act[1], r, n), k, used);
            assertEquals(k, used[0], "directions kept");
            assertEquals(k, f[0].dim());
            double[] d = GroundMetric.distance(f[0], f[1], "euclidean");
            double mx = 0;
            for (double v : ref) mx = Math.max(mx, v);
            for (int i = 0; i < d.length; i++) {
                assertEquals(ref[i], d[i], tol * mx, "R " + r + ", n " + n + ", k " + k + ": distance " + i);
            }
        }
    }

    @Test
    void lowRankAnchorsKeepOnlyTheirRankAndLargeKChangesNothing() throws Exception {
        Random rnd = new Random(5);
        int r = 20, n = 10;
        float[][] act = new float[2][r * n];
        double[][] basis = new double[3][r];
        for (double[] b : basis) for (int i = 0; i < r; i++) b[i] = rnd.nextGaussian();
        for (int j = 0; j < n; j++) {
            double[] w = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            for (int i = 0; i < r; i++) {
                act[1][i * n + j] = (float) (w[0] * basis[0][i] + w[1] * basis[1][i] + w[2] * basis[2][i] + j);
                act[0][i * n + j] = (float) rnd.nextGaussian();
            }
        }
        int[] used = new int[1];
        GroundMetric.Features[] f = GroundMetric.pca(neuronMajor(act[0], r, n), neuronMajor(act[1], r, n), 6, used);
        assertEquals(3, used[0], "a rank-3 anchor has 3 principal directions");
        double[] ref = referenceDistances(act, r, n, 3); // the reference with k = 3: its other 3 would be arbitrary
        double[] d = GroundMetric.distance(f[0], f[1], "euclidean");
        double mx = 0;
        for (double v : ref) mx = Math.max(mx, v);
        for (int i = 0; i < d.length; i++) assertEquals(ref[i], d[i], 1e-5 * mx, "distance " + i);

        GroundMetric.Features x = neuronMajor(act[0], r, n), y = neuronMajor(act[1], r, n);
        GroundMetric.Features[] same = GroundMetric.pca(x, y, r, used);
        assertSame(x, same[0]);
        assertSame(y, same[1]);
        assertEquals(r, used[0]);
        assertThrows(IllegalArgumentException.class, () -> GroundMetric.pca(x, y, 0, new int[1]));
        float[] bad = y.x().clone();
        bad[7] = Float.NaN;
        GroundMetric.Features yb = new GroundMetric.Features(bad, n, r);
        GroundMetric.Features[] skipped = GroundMetric.pca(x, yb, 4, used);
        assertSame(yb, skipped[1], "non-finite anchor activations are left as they are");
        assertEquals(0, used[0]);
        for (int samples : new int[] {8, 40}) { // both sides of the eigen-problem: R < n and R > n
            float[] flat = new float[n * samples];
            for (int j = 0; j < n; j++) java.util.Arrays.fill(flat, j * samples, (j + 1) * samples, j - 2.5f); // constant neurons
            GroundMetric.Features yc = new GroundMetric.Features(flat, n, samples);
            GroundMetric.Features xc = new GroundMetric.Features(new float[n * samples], n, samples);
            GroundMetric.Features[] none = GroundMetric.pca(xc, yc, 4, used);
            assertSame(yc, none[1], "constant anchor activations have no principal direction (" + samples + " samples)");
            assertEquals(0, used[0]);
        }
    }

    /** On the engine path the float rounding of the scatter must not pass for directions beyond the anchor's rank. */
    @Test
    void engineProductsKeepOnlyTheRankToo() {
        Random rnd = new Random(9);
        for (int[] sh : new int[][] {{40, 12}, {12, 40}}) { // both sides of the eigen-problem
            int r = sh[0], n = sh[1];
            double[][] basis = new double[3][r];
            for (double[] b : basis) for (int i = 0; i < r; i++) b[i] = rnd.nextGaussian();
            float[] y = new float[n * r], x = new float[n * r];
            for (int j = 0; j < n; j++) {
                double[] w = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
                for (int i = 0; i < r; i++) {
                    y[j * r + i] = (float) (w[0] * basis[0][i] + w[1] * basis[1][i] + w[2] * basis[2][i] + j);
                    x[j * r + i] = (float) rnd.nextGaussian();
                }
            }
            long saved = GroundMetric.PCA_ENGINE_MACS;
            GroundMetric.PCA_ENGINE_MACS = 0;
            int[] used = new int[1];
            try {
                GroundMetric.pca(new GroundMetric.Features(x, n, r), new GroundMetric.Features(y, n, r), r - 1, used);
            } finally {
                GroundMetric.PCA_ENGINE_MACS = saved;
            }
            assertEquals(3, used[0], "a rank-3 anchor has 3 principal directions on the engine path (R " + r + ", n " + n + ")");
        }
    }

    @Test
    void optionsAcceptPcaOnlyFromActivations() {
        FusionOptions o = FusionOptions.preset("default");
        o.pca = 8;
        o.align = "weights";
        assertThrows(RuntimeException.class, () -> o.validate(2));
        o.align = "activations";
        o.validate(2);
        o.pca = -1;
        assertThrows(RuntimeException.class, () -> o.validate(2));
    }

    private static GroundMetric.Features neuronMajor(float[] act, int r, int n) {
        float[] x = new float[n * r];
        for (int i = 0; i < r; i++) for (int j = 0; j < n; j++) x[j * r + i] = act[i * n + j];
        return new GroundMetric.Features(x, n, r);
    }

    private double[] referenceDistances(float[][] act, int r, int n, int k) throws Exception {
        StringBuilder sb = new StringBuilder();
        sb.append(r).append(' ').append(n).append(' ').append(k).append('\n');
        for (float[] a : act) {
            for (float v : a) sb.append(String.format(Locale.ROOT, "%.9g ", v));
            sb.append('\n');
        }
        Path in = Files.writeString(tmp.resolve("acts-" + r + "-" + n + "-" + k + ".txt"), sb.toString());
        String out = Python.run("pca_reference.py", in.toString());
        String[] tok = out.trim().split("\\s+");
        assertEquals(n * n, tok.length, "reference output size");
        double[] d = new double[n * n];
        for (int i = 0; i < d.length; i++) d[i] = Double.parseDouble(tok[i]);
        return d;
    }
}
