package io.otfuse.fusion;

/**
 * Where fusion gets its solvers. MERGE NOTE: once {@code io.otfuse.ot} is merged, make {@link #emd()} and
 * {@link #sinkhorn} delegate to it (e.g. {@code OtProblem.uniform(cost, n, m)} solved by its exact solver /
 * POT-exact Sinkhorn-Knopp, converting {@code OtResult} to {@link TransportSolver.Result}), and delete
 * {@link StopgapSolvers}. Nothing else in the fusion package names a solver class.
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
