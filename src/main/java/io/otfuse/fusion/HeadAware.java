package io.otfuse.fusion;

import java.util.Arrays;
import java.util.Map;

/**
 * Head-aware alignment of a q/k/v space: heads are matched as blocks first (exact assignment on the cost of the
 * best neuron matching between two heads), then neurons are matched inside matched heads with the configured
 * solver. The plan is block-structured, so every fused head is built from one head of model k. Needs equal
 * head counts and head widths; otherwise the plain cross-head solve is used and the report says so.
 */
final class HeadAware {
    private HeadAware() {}

    static TransportSolver.Result solve(TransportSolver inner, double[] cost, int n, int m, int headsK, int headsA, Map<String, Object> rep) {
        double[] a = uniform(n), b = uniform(m);
        if (headsK != headsA || n / headsK != m / headsA || n % headsK != 0) {
            rep.put("head_aware", "skipped: " + headsK + " heads of " + (n / headsK) + " vs " + headsA + " heads of " + (m / headsA));
            return inner.solve(a, b, cost, n, m);
        }
        int h = headsA, d = m / h;
        TransportSolver exact = OtAdapter.emd();
        double[] headCost = new double[h * h];
        for (int p = 0; p < h; p++) {
            for (int q = 0; q < h; q++) {
                double[] blk = block(cost, m, p, q, d);
                TransportSolver.Result r = exact.solve(uniform(d), uniform(d), blk, d, d);
                double c = 0;
                for (int i = 0; i < blk.length; i++) c += r.plan()[i] * blk[i];
                headCost[p * h + q] = c;
            }
        }
        TransportSolver.Result heads = exact.solve(uniform(h), uniform(h), headCost, h, h);
        double[] plan = new double[n * m];
        long iters = 0;
        int[] match = new int[h];
        for (int p = 0; p < h; p++) {
            for (int q = 0; q < h; q++) {
                if (heads.plan()[p * h + q] > 0.5 / h) match[p] = q;
            }
            int q = match[p];
            TransportSolver.Result r = inner.solve(uniform(d), uniform(d), block(cost, m, p, q, d), d, d);
            iters += r.iterations();
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) plan[(p * d + i) * m + q * d + j] = r.plan()[i * d + j] / h;
        }
        rep.put("head_match", Arrays.stream(match).boxed().toList());
        return new TransportSolver.Result(plan, n, m, iters, true, null);
    }

    private static double[] block(double[] cost, int m, int p, int q, int d) {
        double[] blk = new double[d * d];
        for (int i = 0; i < d; i++) System.arraycopy(cost, (p * d + i) * m + q * d, blk, i * d, d);
        return blk;
    }

    private static double[] uniform(int n) {
        double[] u = new double[n];
        Arrays.fill(u, 1.0 / n);
        return u;
    }
}
