package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Distances between neuron features given row-major or as the columns of a [samples x neurons] array (as activation
 * features are): both layouts, on the small direct path and on the large product path, against a double-precision
 * brute force.
 */
class DistanceLayoutTest {
    private static double[] bruteForce(float[] a, int n, float[] b, int m, int d, String metric) {
        double[] out = new double[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double sq = 0, dot = 0, na = 0, nb = 0;
                for (int c = 0; c < d; c++) {
                    double x = a[i * d + c], y = b[j * d + c];
                    sq += (x - y) * (x - y);
                    dot += x * y;
                    na += x * x;
                    nb += y * y;
                }
                out[i * m + j] = switch (metric) {
                    case "sq-euclidean" -> sq;
                    case "euclidean" -> Math.sqrt(sq);
                    default -> 1 - dot / Math.sqrt(na * nb);
                };
            }
        }
        return out;
    }

    private static float[] gaussian(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @Test
    void columnFeaturesGiveTheRowDistancesOnBothPaths() {
        Random rnd = new Random(11);
        // 23 x 19 x 31 stays on the direct path; 310 x 290 x 300 (27 M multiply-adds) takes the product path
        int[][] shapes = {{23, 19, 31}, {310, 290, 300}};
        for (int[] sh : shapes) {
            int n = sh[0], m = sh[1], d = sh[2];
            float[] a = gaussian(rnd, n * d), b = gaussian(rnd, m * d);
            GroundMetric.Features ar = new GroundMetric.Features(a, n, d), br = new GroundMetric.Features(b, m, d);
            GroundMetric.Features ac = GroundMetric.Features.columns(Dense.transpose(a, n, d), n, d);
            GroundMetric.Features bc = GroundMetric.Features.columns(Dense.transpose(b, m, d), m, d);
            for (String metric : new String[] {"euclidean", "sq-euclidean", "cosine"}) {
                double[] ref = bruteForce(a, n, b, m, d, metric);
                GroundMetric.Features[][] layouts = {{ar, br}, {ac, bc}, {ac, br}, {ar, bc}};
                for (GroundMetric.Features[] f : layouts) {
                    double[] max = {Double.NaN};
                    double[] got = GroundMetric.distance(f[0], f[1], metric, null, max);
                    double mx = 0;
                    for (int e = 0; e < ref.length; e++) {
                        // float products: |x|^2 + |y|^2 - 2 x.y loses about d float roundings of |x||y| ~ d
                        double tol = (metric.equals("sq-euclidean") ? 2e-5 * d : 2e-5) * Math.max(1, Math.abs(ref[e]));
                        String where = metric + " " + n + "x" + m + "x" + d + " columns " + f[0].columns() + "/" + f[1].columns() + " entry " + e;
                        assertEquals(ref[e], got[e], tol, where);
                        mx = Math.max(mx, got[e]);
                    }
                    if (!Double.isNaN(max[0])) assertEquals(mx, max[0], 0, "largest distance " + metric);
                }
            }
        }
    }

    /**
     * The product path's Gram matrix goes back to {@link io.otfuse.ot.ArrayPool} after each distance and the next
     * distance of that size writes into it: one pooled array after two calls, not a new one per call (a ViT-B fusion
     * otherwise leaves a 3072 x 3072 float array behind for the collector in every layer), with unchanged values.
     */
    @Test
    void largeDistancesReuseOnePooledGramMatrix() {
        Random rnd = new Random(12);
        int n = 730, m = 730, d = 40; // 532 900 entries (pooled sizes start at 524 288), 21 M multiply-adds: product path
        float[] a = gaussian(rnd, n * d), b = gaussian(rnd, m * d);
        double[] ref = bruteForce(a, n, b, m, d, "sq-euclidean");
        io.otfuse.ot.ArrayPool.clear();
        try {
            for (int call = 0; call < 2; call++) {
                double[] got = GroundMetric.distance(new GroundMetric.Features(a, n, d), new GroundMetric.Features(b, m, d), "sq-euclidean");
                for (int e = 0; e < ref.length; e += 7) assertEquals(ref[e], got[e], 2e-5 * d * Math.max(1, ref[e]), "call " + call + " entry " + e);
                assertEquals(1, io.otfuse.ot.ArrayPool.pooled(), "pooled arrays after call " + call);
            }
        } finally {
            io.otfuse.ot.ArrayPool.clear();
        }
    }
}
