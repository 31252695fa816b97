package io.otfuse.fusion;

/**
 * Where fusion gets its solvers; nothing else in the fusion package names a solver class.
 *
 * <p>MERGE NOTE: once {@code io.otfuse.ot} is merged, replace the two bodies with (then delete {@link StopgapSolvers}):
 * <pre>{@code
 * emd():      (a, b, c, n, m) -> of(io.otfuse.ot.OtSolvers.emd(a, b, c, n, m))        // assignment for square uniform, else network simplex
 * sinkhorn(): (a, b, c, n, m) -> of(io.otfuse.ot.OtSolvers.sinkhorn(
 *                 io.otfuse.ot.OtProblem.of(a, b, io.otfuse.ot.CostMatrix.of(c, n, m)),
 *                 io.otfuse.ot.OtOptions.defaults().withReg(reg).withMaxIter(maxIter).withStopThr(stopThr)))
 * static TransportSolver.Result of(io.otfuse.ot.OtResult r) {
 *     return new TransportSolver.Result(r.plan(), r.n(), r.m(), r.iterations(), r.converged(), r.warning());
 * }
 * }</pre>
 * {@code ReferenceVectorsTest} then checks the merged solvers against method.md §11.
 */
public final class OtAdapter {
    private OtAdapter() {}

    public static TransportSolver emd() {
        return StopgapSolvers.emd();
    }

    public static TransportSolver sinkhorn(double reg, int maxIter, double stopThr) {
        return StopgapSolvers.sinkhorn(reg, maxIter, stopThr);
    }
}
