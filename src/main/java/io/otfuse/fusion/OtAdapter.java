package io.otfuse.fusion;

import io.otfuse.ot.CostMatrix;
import io.otfuse.ot.OtOptions;
import io.otfuse.ot.OtProblem;
import io.otfuse.ot.OtResult;
import io.otfuse.ot.OtSolvers;

/** Where fusion gets its solvers from {@code io.otfuse.ot}; nothing else in the fusion package names a solver class. */
public final class OtAdapter {
    private OtAdapter() {}

    /** Exact OT: the assignment solver for uniform square problems, the network simplex otherwise. */
    public static TransportSolver emd() {
        return new TransportSolver() {
            @Override
            public Result solve(double[] a, double[] b, double[] cost, int n, int m) {
                return of(OtSolvers.emd(a, b, cost, n, m));
            }

            @Override
            public String name() {
                return "emd";
            }
        };
    }

    /**
     * An optimal assignment of the square {@code dim x dim} block of a row-major cost whose row r is
     * {@code c[offset + r * stride ...]}, solved in place: the column of each row (what {@link #emd()} returns for the block).
     */
    public static int[] assignment(double[] c, int offset, int stride, int dim) {
        return io.otfuse.ot.AssignmentSolver.assign(c, offset, stride, dim);
    }

    /** Sinkhorn-Knopp with POT 0.8.2 semantics. Costs must be finite (the executor replaces NaN and infinities first). */
    public static TransportSolver sinkhorn(double reg, int maxIter, double stopThr) {
        return sinkhorn(reg, maxIter, stopThr, false);
    }

    /**
     * Sinkhorn-Knopp; with {@code scratchCost} the Gibbs kernel is held in float and the plan is written into the cost
     * array (see {@link OtOptions#withScratchCost}): the caller gives the cost array up.
     */
    public static TransportSolver sinkhorn(double reg, int maxIter, double stopThr, boolean scratchCost) {
        OtOptions options = OtOptions.defaults().withReg(reg).withMaxIter(maxIter).withStopThr(stopThr).withScratchCost(scratchCost);
        return new TransportSolver() {
            @Override
            public Result solve(double[] a, double[] b, double[] cost, int n, int m) {
                return of(OtSolvers.sinkhorn(OtProblem.of(a, b, CostMatrix.ofFinite(cost, n, m)), options));
            }

            @Override
            public Result solveForMoves(double[] a, double[] b, double[] cost, int n, int m) {
                if (!scratchCost) return solve(a, b, cost, n, m);
                return of(OtSolvers.sinkhorn(OtProblem.of(a, b, CostMatrix.ofFinite(cost, n, m)), options.withFloatPlan(true)));
            }

            @Override
            public String name() {
                return "sinkhorn(" + reg + ")";
            }
        };
    }

    static TransportSolver.Result of(OtResult r) {
        if (r.floatPlan() != null) {
            return new TransportSolver.Result(null, null, r.n(), r.m(), r.iterations(), r.converged(), r.warning(), r.objective(),
                    new TransportSolver.FloatPlan(r.floatPlan(), r.rowSums(), r.colSums(), r.entropy()));
        }
        if (r.isSparse()) {
            return new TransportSolver.Result(null, new TransportSolver.Sparse(r.sparseRows(), r.sparseCols(), r.sparseMass()), r.n(), r.m(),
                    r.iterations(), r.converged(), r.warning(), r.objective());
        }
        return new TransportSolver.Result(r.plan(), null, r.n(), r.m(), r.iterations(), r.converged(), r.warning(), r.objective());
    }
}
