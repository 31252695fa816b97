package io.otfuse.fusion;

/**
 * The one thing fusion needs from an OT library: a plan between two histograms for a cost matrix.
 * {@link OtAdapter} implements it with {@code io.otfuse.ot}.
 */
public interface TransportSolver {
    /**
     * A plan (row-major {@code n x m}, total mass = sum of a) and what the solver reports about it. Exact solvers may
     * return the plan sparsely instead ({@code plan == null}, {@code sparse} its non-zero entries).
     */
    record Result(double[] plan, Sparse sparse, int n, int m, long iterations, boolean converged, String warning, double objective,
                  FloatPlan floatPlan) {
        /** {@code objective}: {@code <P, C>} as the solver computed it, NaN when it did not. */
        public Result(double[] plan, int n, int m, long iterations, boolean converged, String warning) {
            this(plan, null, n, m, iterations, converged, warning, Double.NaN, null);
        }

        public Result(double[] plan, Sparse sparse, int n, int m, long iterations, boolean converged, String warning, double objective) {
            this(plan, sparse, n, m, iterations, converged, warning, objective, null);
        }

        /** The dense plan (materialised from the sparse form on each call when the solver returned it sparsely). */
        @Override
        public double[] plan() {
            return dense();
        }

        /** The dense plan (materialised from the sparse form when needed). */
        public double[] dense() {
            if (plan != null) return plan;
            if (floatPlan != null) {
                double[] d = new double[n * m];
                for (int i = 0; i < d.length; i++) d[i] = floatPlan.plan()[i];
                return d;
            }
            double[] d = new double[n * m];
            for (int e = 0; e < sparse.rows().length; e++) d[sparse.rows()[e] * m + sparse.cols()[e]] += sparse.mass()[e];
            return d;
        }

        /** The plan as a transport map, sparse when the solver returned it so. */
        public TransportMap map() {
            if (floatPlan != null) return TransportMap.fromFloat(floatPlan.plan(), n, m, floatPlan.rowSums(), floatPlan.colSums(), floatPlan.entropy());
            return plan != null ? new TransportMap(plan, n, m) : TransportMap.sparse(n, m, sparse.rows(), sparse.cols(), sparse.mass());
        }
    }

    /** A plan held only in float, with the row and column sums and entropy of the plan before rounding. */
    record FloatPlan(float[] plan, double[] rowSums, double[] colSums, double entropy) {}

    /** Non-zero entries of a plan: {@code P[rows[e], cols[e]] = mass[e]}. */
    record Sparse(int[] rows, int[] cols, double[] mass) {}

    /** Solves {@code min <P, C>} (plus entropy for regularised solvers) subject to {@code P 1 = a, P^T 1 = b}. */
    Result solve(double[] a, double[] b, double[] cost, int n, int m);

    /**
     * {@link #solve}, for a plan that will only be multiplied by: solvers that can return it in float ({@link FloatPlan}),
     * without a double plan, do so; the others return {@link #solve}'s result.
     */
    default Result solveForMoves(double[] a, double[] b, double[] cost, int n, int m) {
        return solve(a, b, cost, n, m);
    }

    /** Short name for reports ({@code emd}, {@code sinkhorn(0.08)}). */
    String name();
}
