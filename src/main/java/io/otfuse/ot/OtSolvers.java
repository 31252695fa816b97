package io.otfuse.ot;

/**
 * Entry points. Exact: {@link #exact} picks the fastest exact solver that applies (assignment for
 * uniform marginals with {@code n | m} or {@code m | n}, else network simplex); {@link #emd} is the same
 * (POT's name). Entropic: {@link #sinkhorn} (POT 0.8.2 {@code ot.sinkhorn} semantics),
 * {@link #sinkhornLog} (log-domain stabilised, small reg), {@link #sinkhornUnbalanced}.
 */
public final class OtSolvers {
    public static final OtSolver ASSIGNMENT = new AssignmentSolver();
    public static final OtSolver NETWORK_SIMPLEX = new NetworkSimplex();
    public static final OtSolver SINKHORN = new SinkhornKnopp();
    public static final OtSolver SINKHORN_LOG = new SinkhornLog();
    public static final OtSolver SINKHORN_UNBALANCED = new UnbalancedSinkhorn();

    private OtSolvers() {
    }

    /**
     * The dense kernels the Sinkhorn solvers use in this JVM: SIMD ({@code jdk.incubator.vector}, when the
     * JVM runs with {@code --add-modules jdk.incubator.vector} on x86-64) or scalar.
     */
    public static String kernels() {
        return Kernels.describe();
    }

    /**
     * Starts getting the SIMD kernels of the float-kernel Sinkhorn ({@link OtOptions#withScratchCost}) compiled on a
     * background thread (once per JVM; a no-op on the scalar kernels).
     * Solves started before that is done run plain-Java twins with identical results, so calling this early (while
     * checkpoints are read, say) only saves time.
     */
    public static void warmUp() {
        if (Kernels.vector()) KernelWarmup.start();
    }

    /** The exact solver {@link #exact} would use for {@code p}. */
    public static OtSolver exactSolverFor(OtProblem p) {
        return AssignmentSolver.applies(p) ? ASSIGNMENT : NETWORK_SIMPLEX;
    }

    public static OtResult exact(OtProblem p, OtOptions o) {
        return exactSolverFor(p).solve(p, o);
    }

    public static OtResult exact(OtProblem p) {
        return exact(p, OtOptions.defaults());
    }

    /** Exact OT (POT {@code ot.emd}); same as {@link #exact}. */
    public static OtResult emd(OtProblem p) {
        return exact(p);
    }

    /** Exact OT between marginals {@code a}, {@code b} (null: uniform) for a row-major {@code n x m} cost. */
    public static OtResult emd(double[] a, double[] b, double[] cost, int n, int m) {
        return exact(OtProblem.of(a, b, CostMatrix.of(cost, n, m)));
    }

    public static OtResult sinkhorn(OtProblem p, double reg) {
        return SINKHORN.solve(p, OtOptions.defaults().withReg(reg));
    }

    public static OtResult sinkhorn(OtProblem p, OtOptions o) {
        return SINKHORN.solve(p, o);
    }

    public static OtResult sinkhorn(double[] a, double[] b, double[] cost, int n, int m, double reg) {
        return sinkhorn(OtProblem.of(a, b, CostMatrix.of(cost, n, m)), reg);
    }

    public static OtResult sinkhornLog(OtProblem p, double reg) {
        return SINKHORN_LOG.solve(p, OtOptions.defaults().withReg(reg));
    }

    public static OtResult sinkhornLog(OtProblem p, OtOptions o) {
        return SINKHORN_LOG.solve(p, o);
    }

    /** Log-domain Sinkhorn with ε-scaling from {@code 2^10 reg} (or from reg 1 when smaller) down to reg. */
    public static OtResult sinkhornEpsilonScaling(OtProblem p, OtOptions o) {
        double start = Math.min(1024, Math.max(2, 1.0 / o.reg()));
        return SINKHORN_LOG.solve(p, o.withEpsilonScaling(start));
    }

    public static OtResult sinkhornUnbalanced(OtProblem p, double reg, double regM) {
        return SINKHORN_UNBALANCED.solve(p, OtOptions.defaults().withReg(reg).withRegM(regM));
    }

    public static OtResult sinkhornUnbalanced(OtProblem p, OtOptions o) {
        return SINKHORN_UNBALANCED.solve(p, o);
    }
}
