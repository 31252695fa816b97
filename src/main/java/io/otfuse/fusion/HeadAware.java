package io.otfuse.fusion;

import java.util.Arrays;
import java.util.Map;

/**
 * Head-aware alignment of the q/k/v spaces of a layer: heads are matched as blocks first, ONE matching for Q, K
 * and V (an attention pattern must stay with its values), by exact assignment on the summed per-space cost of
 * the best neuron matching between two heads; then neurons are matched inside matched heads, per space, with
 * the configured solver. Needs equal head counts and widths; otherwise the plain cross-head solve is used.
 */
final class HeadAware {
    private HeadAware() {}

    /** Whether head-aware matching applies: equal head counts and head widths. */
    static boolean applies(int n, int m, int headsK, int headsA) {
        return headsK == headsA && n % headsK == 0 && n / headsK == m / headsA;
    }

    /**
     * {@code h x h} cost of matching head p of model k to head q of the anchor: the exact neuron-matching cost inside them,
     * {@code sum_i C[i, x(i)] / d} over the optimal assignment x of the block (the objective of exact OT with uniform
     * marginals). The h² blocks are solved in place, independently and on all cores; each entry is computed alone, so the
     * result does not depend on the number of threads.
     */
    static double[] headCosts(double[] cost, int m, int h, int d) {
        double[] headCost = new double[h * h];
        java.util.stream.IntStream.range(0, h * h).parallel().forEach(pq -> {
            int offset = (pq / h) * d * m + (pq % h) * d;
            int[] x = OtAdapter.assignment(cost, offset, m, d);
            double s = 0;
            for (int i = 0; i < d; i++) s += (1.0 / d) * cost[offset + i * m + x[i]];
            headCost[pq] = s;
        });
        return headCost;
    }

    /** Head p of model k goes to head match[p] of the anchor (exact assignment of the summed head costs). */
    static int[] matchHeads(double[] headCost, int h) {
        TransportSolver.Result heads = OtAdapter.emd().solve(uniform(h), uniform(h), headCost, h, h);
        int[] match = new int[h];
        for (int p = 0; p < h; p++) for (int q = 0; q < h; q++) if (heads.dense()[p * h + q] > 0.5 / h) match[p] = q;
        return match;
    }

    /** The block plan: neurons of head p matched to those of head match[p] with the configured solver. */
    static TransportSolver.Result solve(TransportSolver inner, double[] cost, int n, int m, int h, int[] match, Map<String, Object> rep) {
        int d = m / h;
        double[] plan = new double[n * m];
        long iters = 0;
        for (int p = 0; p < h; p++) {
            int q = match[p];
            TransportSolver.Result r = inner.solve(uniform(d), uniform(d), block(cost, m, p, q, d), d, d);
            iters += r.iterations();
            double[] rp = r.dense();
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) plan[(p * d + i) * m + q * d + j] = rp[i * d + j] / h;
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
