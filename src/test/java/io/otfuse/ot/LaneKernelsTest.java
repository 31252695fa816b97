package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The plain-Java twins of the float-row kernels ({@link LaneKernels}) give the bits of the SIMD kernels
 * ({@link VectorKernels}), compared as raw bits (so -0.0, NaN and subnormals count), for lengths around the lane
 * count and with values that reach exp's underflow; and a Sinkhorn solve gives the same plan whichever of the two ran.
 */
class LaneKernelsTest {
    private static final int[] LENGTHS = {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 67, 200, 1001};

    @AfterEach
    void measuredAgain() {
        JitWarmup.override(null);
    }

    private static void assumeVector() {
        assumeTrue(Kernels.VECTOR_AVAILABLE, "SIMD kernels not available in this JVM");
    }

    private static void assertSameBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int j = 0; j < expected.length; j++) {
            assertEquals(Double.doubleToRawLongBits(expected[j]), Double.doubleToRawLongBits(actual[j]), what + " at " + j + ": " + expected[j] + " vs " + actual[j]);
        }
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int j = 0; j < expected.length; j++) {
            assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(actual[j]), what + " at " + j + ": " + expected[j] + " vs " + actual[j]);
        }
    }

    private static float[][] rows(Random r, int n, int m) {
        float[][] k = new float[n][m];
        for (float[] row : k) for (int j = 0; j < m; j++) row[j] = r.nextInt(9) == 0 ? 0f : (float) Math.exp(-30 * r.nextDouble());
        return k;
    }

    @Test
    void expRowMatchesBitForBitIncludingUnderflow() {
        assumeVector();
        Random r = new Random(3);
        for (int m : LENGTHS) {
            double[] c = new double[m + 6];
            for (int j = 0; j < c.length; j++) c[j] = r.nextInt(7) == 0 ? 0.0 : r.nextDouble() * (r.nextBoolean() ? 1 : 80);
            double[] v = new double[m];
            double[] l = new double[m];
            VectorKernels.expRow(c, 5, -1.0 / 0.1, m, v); // arguments down to -800: subnormal and zero results
            LaneKernels.expRow(c, 5, -1.0 / 0.1, m, l);
            assertSameBits(v, l, "expRow m=" + m);
        }
    }

    @Test
    void dot4AndAxpy4MatchBitForBit() {
        assumeVector();
        Random r = new Random(5);
        int lanes = VectorKernels.lanes();
        for (int m : LENGTHS) {
            float[][] k = rows(r, 9, m);
            double[] v = new double[m];
            double[] u = new double[9];
            for (int j = 0; j < m; j++) v[j] = r.nextDouble() * 1e3;
            for (int i = 0; i < 9; i++) u[i] = r.nextDouble();
            double[] outV = new double[6];
            double[] outL = new double[6];
            VectorKernels.dot4(k, 5, v, m, outV, 2, new double[lanes]);
            LaneKernels.dot4(k, 5, v, m, outL, 2, new double[lanes], lanes);
            assertSameBits(outV, outL, "dot4 m=" + m);
            double[] accV = new double[m];
            double[] accL = new double[m];
            for (int j = 0; j < m; j++) accV[j] = accL[j] = r.nextDouble();
            VectorKernels.axpy4(k, 1, u, m, accV);
            LaneKernels.axpy4(k, 1, u, m, accL);
            assertSameBits(accV, accL, "axpy4 m=" + m);
        }
    }

    @Test
    void planRowFloatMatchesBitForBit() {
        assumeVector();
        Random r = new Random(7);
        int lanes = VectorKernels.lanes();
        for (int m : LENGTHS) {
            float[] ki = rows(r, 1, m)[0];
            double[] v = new double[m];
            double[] c = new double[m + 3];
            for (int j = 0; j < m; j++) v[j] = r.nextDouble() * 1e-3;
            for (int j = 0; j < c.length; j++) c[j] = r.nextDouble();
            float[] planV = new float[m + 3];
            float[] planL = new float[m + 3];
            double[] colV = new double[m];
            double[] colL = new double[m];
            for (int j = 0; j < m; j++) colV[j] = colL[j] = r.nextDouble() * 1e-4;
            double[] outV = new double[2];
            double[] outL = new double[2];
            VectorKernels.planRowFloat(0.37, ki, v, c, 3, planV, m, colV, outV, new double[lanes]);
            LaneKernels.planRowFloat(0.37, ki, v, c, 3, planL, m, colL, outL, new double[2 * lanes], lanes);
            assertSameBits(planV, planL, "plan m=" + m);
            assertSameBits(colV, colL, "column sums m=" + m);
            assertSameBits(outV, outL, "row sum and objective m=" + m);
        }
    }

    @Test
    void sinkhornPlanIsTheSameWhicheverKernelsRan() {
        assumeVector();
        Random r = new Random(11);
        int n = 203;
        int m = 157;
        double[] cost = new double[n * m];
        for (int i = 0; i < cost.length; i++) cost[i] = r.nextDouble();
        OtOptions o = OtOptions.defaults().withReg(0.05).withScratchCost(true).withFloatPlan(true);
        JitWarmup.override(Boolean.FALSE); // the twins throughout
        OtResult twins = OtSolvers.sinkhorn(OtProblem.uniform(cost.clone(), n, m), o);
        JitWarmup.override(Boolean.TRUE); // the SIMD kernels throughout
        OtResult simd = OtSolvers.sinkhorn(OtProblem.uniform(cost.clone(), n, m), o);
        assertTrue(twins.iterations() > 10, "a real solve: " + twins.iterations() + " iterations");
        assertEquals(simd.iterations(), twins.iterations());
        assertSameBits(simd.floatPlan(), twins.floatPlan(), "plan");
        assertSameBits(simd.rowSums(), twins.rowSums(), "row sums");
        assertSameBits(simd.colSums(), twins.colSums(), "column sums");
        assertEquals(Double.doubleToRawLongBits(simd.objective()), Double.doubleToRawLongBits(twins.objective()));
    }
}
