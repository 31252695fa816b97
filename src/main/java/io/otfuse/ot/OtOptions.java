package io.otfuse.ot;

/**
 * Solver options (immutable; use the {@code withX} methods). Defaults follow POT 0.8.2:
 * Sinkhorn {@code numItermax = 1000}, {@code stopThr = 1e-9}, error checked every 10 iterations;
 * unbalanced Sinkhorn {@code stopThr = 1e-6}. The network simplex has no iteration limit by default
 * ({@code maxIter <= 0}); POT's default is 100000 pivots, which is not enough to reach optimality on
 * 3072 x 3072 problems, so we do not copy it. Set {@link #withMaxIter} to reproduce a cap.
 */
public final class OtOptions {
    public static final OtOptions DEFAULT = new OtOptions(0.0, -1, 1e-9, 10, 0, Double.NaN, 1e3, false, 0.0, true, false, false);

    private final double reg;
    private final long maxIter;
    private final double stopThr;
    private final int checkEvery;
    private final int threads;
    private final double regM;
    private final double tau;
    private final boolean certify;
    private final double epsilonScalingStart;
    private final boolean overRelaxation;
    private final boolean scratchCost;
    private final boolean floatPlan;

    private OtOptions(double reg, long maxIter, double stopThr, int checkEvery, int threads, double regM, double tau,
                      boolean certify, double epsilonScalingStart, boolean overRelaxation, boolean scratchCost, boolean floatPlan) {
        this.reg = reg;
        this.maxIter = maxIter;
        this.stopThr = stopThr;
        this.checkEvery = checkEvery;
        this.threads = threads;
        this.regM = regM;
        this.tau = tau;
        this.certify = certify;
        this.epsilonScalingStart = epsilonScalingStart;
        this.overRelaxation = overRelaxation;
        this.scratchCost = scratchCost;
        this.floatPlan = floatPlan;
    }

    public static OtOptions defaults() {
        return DEFAULT;
    }

    /** Entropic regularisation λ (POT {@code reg}). */
    public OtOptions withReg(double r) {
        return new OtOptions(r, maxIter, stopThr, checkEvery, threads, regM, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** Iteration cap (POT {@code numItermax}); {@code <= 0}: the solver's default (none for exact solvers). */
    public OtOptions withMaxIter(long it) {
        return new OtOptions(reg, it, stopThr, checkEvery, threads, regM, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** Stopping threshold (POT {@code stopThr}). */
    public OtOptions withStopThr(double t) {
        return new OtOptions(reg, maxIter, t, checkEvery, threads, regM, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** Threads for the parallel passes; {@code <= 0}: all available processors. Results do not depend on it. */
    public OtOptions withThreads(int t) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, t, regM, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** KL marginal relaxation weight for unbalanced Sinkhorn (POT {@code reg_m}). */
    public OtOptions withRegM(double r) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, r, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** Absorption threshold of the stabilised Sinkhorn (POT {@code tau}, default 1e3). */
    public OtOptions withTau(double t) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, t, certify, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /** Debug mode: exact solvers verify their optimality certificate and throw if it fails. */
    public OtOptions withCertify(boolean c) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, tau, c, epsilonScalingStart, overRelaxation, scratchCost, floatPlan);
    }

    /**
     * ε-scaling for the log-domain solver: start at {@code start * reg} and divide λ by 2 per stage
     * down to {@code reg}; {@code <= 1}: off.
     */
    public OtOptions withEpsilonScaling(double start) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, tau, certify, start, overRelaxation, scratchCost, floatPlan);
    }

    /** Adaptive over-relaxation in the log-domain solver (default on). */
    public OtOptions withOverRelaxation(boolean on) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, tau, certify, epsilonScalingStart, on, scratchCost, floatPlan);
    }

    /**
     * Sinkhorn-Knopp holds its Gibbs kernel in float (half the memory traffic of each iteration; iterations still
     * accumulate in double, so the plan is the exact Sinkhorn plan for a kernel perturbed by at most 2^-24 relative,
     * i.e. a cost perturbed by at most {@code reg * 2^-24}) and writes the plan into the cost array (which the caller
     * then no longer owns: the result's plan is that array). Off by default (POT semantics to the last bits); fusion
     * turns it on, for every size, so that only one set of kernels has to be compiled.
     */
    public OtOptions withScratchCost(boolean on) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, tau, certify, epsilonScalingStart, overRelaxation, on, floatPlan);
    }

    public boolean scratchCost() {
        return scratchCost;
    }

    /**
     * With {@link #withScratchCost}: Sinkhorn-Knopp returns its plan only in float ({@link OtResult#floatPlan()}, each
     * entry the double product rounded once), with the row and column sums of the unrounded plan and its entropy, all
     * from the single pass that writes it; no double plan is made. For callers that only multiply by the plan.
     */
    public OtOptions withFloatPlan(boolean on) {
        return new OtOptions(reg, maxIter, stopThr, checkEvery, threads, regM, tau, certify, epsilonScalingStart, overRelaxation, scratchCost, on);
    }

    public boolean floatPlan() {
        return floatPlan;
    }

    public boolean overRelaxation() {
        return overRelaxation;
    }

    public double reg() {
        return reg;
    }

    public long maxIter() {
        return maxIter;
    }

    public long maxIterOr(long dflt) {
        return maxIter > 0 ? maxIter : dflt;
    }

    public double stopThr() {
        return stopThr;
    }

    public int checkEvery() {
        return checkEvery;
    }

    public int threads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    public double regM() {
        return regM;
    }

    public double tau() {
        return tau;
    }

    public boolean certify() {
        return certify;
    }

    public double epsilonScalingStart() {
        return epsilonScalingStart;
    }
}
