package io.otfuse.report;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownsampleTest {
    /** Independent computation: for each output cell, the mean over the input cells it covers. */
    static double[][] bruteForce(double[][] m, int maxSide) {
        int rows = m.length, cols = m[0].length;
        int br = (int) Math.ceil(rows / (double) maxSide), bc = (int) Math.ceil(cols / (double) maxSide);
        int or = (int) Math.ceil(rows / (double) br), oc = (int) Math.ceil(cols / (double) bc);
        double[][] out = new double[or][oc];
        for (int I = 0; I < or; I++) {
            for (int J = 0; J < oc; J++) {
                double sum = 0;
                int cnt = 0;
                for (int i = I * br; i < Math.min(rows, (I + 1) * br); i++) {
                    for (int j = J * bc; j < Math.min(cols, (J + 1) * bc); j++) {
                        sum += m[i][j];
                        cnt++;
                    }
                }
                out[I][J] = sum / cnt;
            }
        }
        return out;
    }

    static double[][] random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int j = 0; j < cols; j++) row[j] = r.nextGaussian();
        return m;
    }

    static double[] flat(double[][] m) {
        double[] f = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
        return f;
    }

    static void assertClose(double[][] want, double[][] got) {
        assertEquals(want.length, got.length, "rows");
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], got[i], 1e-12, "row " + i);
    }

    @Property(tries = 200)
    void blockMeansMatchBruteForce(@ForAll @IntRange(min = 1, max = 70) int rows, @ForAll @IntRange(min = 1, max = 70) int cols,
                                   @ForAll @IntRange(min = 1, max = 20) int maxSide, @ForAll long seed) {
        double[][] m = random(rows, cols, seed);
        double[][] want = bruteForce(m, maxSide);
        double[][] got = Downsample.blockMean(m, maxSide);
        assertClose(want, got);
        assertClose(want, Downsample.blockMean(flat(m), rows, cols, maxSide));
        assertTrue(got.length <= maxSide && got[0].length <= maxSide);
    }

    @Test
    void largeTransportMapBecomes128By128() {
        int n = 3072;
        double[] plan = new double[n * n];
        Random r = new Random(7);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < n; i++) plan[i * n + perm[i]] = 1.0 / n;
        double[][] d = Downsample.blockMean(plan, n, n, 128);
        assertEquals(128, d.length);
        assertEquals(128, d[0].length);
        // blocks of 24 x 24: the mean of a block is (matches in it) / n / 576, and the mass is kept
        double mass = 0;
        for (double[] row : d) for (double v : row) mass += v * 576;
        assertEquals(1.0, mass, 1e-9);
        int I = 5, J = perm[5 * 24] / 24, matches = 0;
        for (int i = I * 24; i < I * 24 + 24; i++) if (perm[i] / 24 == J) matches++;
        assertEquals(matches / (double) n / 576, d[I][J], 1e-15);
    }

    @Test
    void smallMatricesAreKeptAndUnevenBlocksAveraged() {
        double[][] m = {{1, 2, 3}, {4, 5, 6}};
        assertClose(m, Downsample.blockMean(m, 128));
        // 3 columns into at most 2: blocks of 2 columns, the last one of 1
        assertClose(new double[][] {{1.5, 3}, {4.5, 6}}, Downsample.blockMean(m, 2));
        assertClose(new double[][] {{3.5}}, Downsample.blockMean(m, 1));
        assertThrows(IllegalArgumentException.class, () -> Downsample.blockMean(m, 0));
        assertThrows(IllegalArgumentException.class, () -> Downsample.blockMean(new double[5], 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> Downsample.blockMean(new double[][] {{1, 2}, {3}}, 4));
    }
}
