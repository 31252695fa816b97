package io.otfuse.fusion;

/**
 * The one thing fusion needs from an OT library: a plan between two histograms for a cost matrix.
 * {@link OtAdapter} implements it with {@code io.otfuse.ot}.
 */
public interface TransportSolver {
    /** A plan (row-major {@code n x m}, total mass = sum of a) and what the solver reports about it. */
    record Result(double[] plan, int n, int m, long iterations, boolean converged, String warning) {}

    /** Solves {@code min <P, C>} (plus entropy for regularised solvers) subject to {@code P 1 = a, P^T 1 = b}. */
    Result solve(double[] a, double[] b, double[] cost, int n, int m);

    /** Short name for reports ({@code emd}, {@code sinkhorn(0.08)}). */
    String name();
}
