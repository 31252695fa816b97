package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.otfuse.fusion.GroundMetric.Features;
import org.junit.jupiter.api.Test;

/** method.md §11.1 (fc_fusion worked example) and §11.2 (POT's Sinkhorn example) under the official settings. */
class ReferenceVectorsTest {
    static final float[] W0 = {0, 1, 2, 3, 0, 1, 1, 1, 0};
    static final float[] B0 = {0.1f, 0.2f, 0.3f};
    static final float[] W1 = {2.9f, 0.1f, 1.2f, 0.1f, 1.1f, 1.9f, 1.2f, 0.8f, 0.1f};
    static final float[] B1 = {0.25f, 0.05f, 0.35f};

    /** One official fc_fusion step: row-L2 weights, euclidean, max-normalised cost, T*n0, alpha 1/2. */
    static double[][] fcFusion(TransportSolver solver) {
        FusionOptions o = FusionOptions.preset("official");
        Features x = GroundMetric.normaliseWeights(new Features(W0, 3, 3), o.weightNorm);
        Features y = GroundMetric.normaliseWeights(new Features(W1, 3, 3), o.weightNorm);
        double[] c = GroundMetric.normaliseCost(GroundMetric.distance(x, y, o.metric), o.costNorm, null, 0);
        double[] u = {1 / 3.0, 1 / 3.0, 1 / 3.0};
        TransportMap t = new TransportMap(solver.solve(u, u, c, 3, 3).plan(), 3, 3);
        TransportMap.Matrix m = t.normalised(TransportMap.Norm.ROWS);
        float[] w = Transport.apply(W0, new long[] {3, 3}, 0, m);
        float[] b = Transport.apply(B0, new long[] {3}, 0, m);
        double[] wf = new double[9], bf = new double[3], tn = new double[9];
        for (int i = 0; i < 9; i++) {
            wf[i] = 0.5 * w[i] + 0.5 * W1[i];
            tn[i] = m.get(i / 3, i % 3);
        }
        for (int i = 0; i < 3; i++) bf[i] = 0.5 * b[i] + 0.5 * B1[i];
        return new double[][] {c, tn, wf, bf};
    }

    @Test
    void costMatrix() {
        double[] c = fcFusion(OtAdapter.emd())[0];
        assertArrayEquals(new double[] {0.965592, 0.064830, 1.0, 0.065867, 0.994766, 0.525417, 0.685381, 0.942801, 0.177533}, c, 1e-5);
    }

    @Test
    void emd() {
        double[][] r = fcFusion(OtAdapter.emd());
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0, 0, 0, 1}, r[1], 1e-9);
        assertArrayEquals(new double[] {2.95, 0.05, 1.1, 0.05, 1.05, 1.95, 1.1, 0.9, 0.05}, r[2], 1e-6);
        assertArrayEquals(new double[] {0.225, 0.075, 0.325}, r[3], 1e-6);
    }

    @Test
    void sinkhorn008() {
        double[][] r = fcFusion(OtAdapter.sinkhorn(0.08, 1000, 1e-9));
        assertArrayEquals(new double[] {0.000030, 0.999955, 0.000015, 0.997622, 0.000004, 0.002374, 0.002348, 0.000040, 0.997612}, r[1], 1e-5);
        assertArrayEquals(new double[] {2.947607, 0.051189, 1.098841, 0.050026, 1.049998, 1.949957, 1.102367, 0.898813, 0.051202}, r[2], 1e-5);
        assertArrayEquals(new double[] {0.225116, 0.075004, 0.324880}, r[3], 1e-5);
    }

    @Test
    void sinkhorn1() {
        TransportSolver s = OtAdapter.sinkhorn(1.0, 1000, 1e-9);
        double[][] r = fcFusion(s);
        assertArrayEquals(new double[] {0.221012, 0.566127, 0.212861, 0.490048, 0.201431, 0.308521, 0.288940, 0.232442, 0.478618}, r[1], 1e-5);
        assertArrayEquals(new double[] {2.329543, 0.304976, 1.066036, 0.468367, 0.949285, 1.616843, 1.302090, 0.745740, 0.417122}, r[2], 1e-5);
        assertArrayEquals(new double[] {0.228396, 0.108316, 0.288288}, r[3], 1e-5);
    }

    @Test
    void potDocumentationExample() {
        TransportSolver.Result r = OtAdapter.sinkhorn(1.0, 1000, 1e-9).solve(new double[] {0.5, 0.5}, new double[] {0.5, 0.5}, new double[] {0, 1, 1, 0}, 2, 2);
        assertArrayEquals(new double[] {0.36552929, 0.13447071, 0.13447071, 0.36552929}, r.plan(), 1e-7);
    }

    @Test
    void rectangularExactPlanHasUniformMarginalsAndSplitsMass() {
        double[] c = new double[4 * 6];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < c.length; i++) c[i] = rnd.nextDouble();
        double[] a = {0.25, 0.25, 0.25, 0.25}, b = new double[6];
        java.util.Arrays.fill(b, 1 / 6.0);
        TransportMap t = new TransportMap(OtAdapter.emd().solve(a, b, c, 4, 6).plan(), 4, 6);
        assertEquals(0, t.marginalError(), 1e-12);
        // column-stochastic form: every anchor neuron a convex combination of model neurons
        TransportMap.Matrix m = t.normalised(TransportMap.Norm.COL_STOCHASTIC);
        for (int j = 0; j < 6; j++) {
            double s = 0;
            for (int i = 0; i < 4; i++) s += m.get(i, j);
            assertEquals(1, s, 1e-6);
        }
    }
}
