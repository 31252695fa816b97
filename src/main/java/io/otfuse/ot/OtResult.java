package io.otfuse.ot;

/**
 * Result of an OT solve. The plan is held either densely (row-major {@code n x m}) or sparsely
 * (coordinate list; for square uniform problems also as a permutation {@code row -> column} with
 * every entry {@code 1/n}). {@link #plan()} always returns a dense copy-free or materialised array.
 *
 * <p>{@code objective} is the transport cost {@code <P, C>} (for entropic solvers too, like
 * {@code ot.sinkhorn2} in POT 0.8.2). Exact solvers also return dual potentials {@code f, g} with
 * {@code f_i + g_j <= C_ij}, equality on the support, centred like POT ({@code a.f = b.g}).
 */
public final class OtResult {
    private final String solver;
    private final int n;
    private final int m;
    private double[] dense;
    private final int[] rowIdx;
    private final int[] colIdx;
    private final double[] mass;
    private final int[] permutation;
    private final double objective;
    private final double[] dualF;
    private final double[] dualG;
    private final long iterations;
    private final double marginalError;
    private final double stopError;
    private final boolean converged;
    private final String warning;
    private final long timeNanos;
    private final float[] floatPlan;
    private final double[] rowSums;
    private final double[] colSums;
    private final double entropy;

    private OtResult(Builder b) {
        this.solver = b.solver;
        this.n = b.n;
        this.m = b.m;
        this.dense = b.dense;
        this.rowIdx = b.rowIdx;
        this.colIdx = b.colIdx;
        this.mass = b.mass;
        this.permutation = b.permutation;
        this.objective = b.objective;
        this.dualF = b.dualF;
        this.dualG = b.dualG;
        this.iterations = b.iterations;
        this.marginalError = b.marginalError;
        this.stopError = b.stopError;
        this.converged = b.converged;
        this.warning = b.warning;
        this.timeNanos = b.timeNanos;
        this.floatPlan = b.floatPlan;
        this.rowSums = b.rowSums;
        this.colSums = b.colSums;
        this.entropy = b.entropy;
    }

    static Builder builder(String solver, int n, int m) {
        return new Builder(solver, n, m);
    }

    public String solver() {
        return solver;
    }

    public int n() {
        return n;
    }

    public int m() {
        return m;
    }

    /** Dense row-major plan (materialised on first call from the sparse form, or widened from the float plan). */
    public synchronized double[] plan() {
        if (dense == null && floatPlan != null) {
            double[] d = new double[n * m];
            for (int k = 0; k < d.length; k++) {
                d[k] = floatPlan[k];
            }
            dense = d;
        }
        if (dense == null) {
            double[] d = new double[n * m];
            for (int k = 0; k < mass.length; k++) {
                d[rowIdx[k] * m + colIdx[k]] += mass[k];
            }
            dense = d;
        }
        return dense;
    }

    /** Plan entry {@code P_ij}. */
    public double plan(int i, int j) {
        return plan()[i * m + j];
    }

    /** Under {@link OtOptions#withFloatPlan}: the plan rounded to float, row-major (else null). */
    public float[] floatPlan() {
        return floatPlan;
    }

    /** With {@link #floatPlan()}: row sums of the plan before rounding (else null). */
    public double[] rowSums() {
        return rowSums;
    }

    /** With {@link #floatPlan()}: column sums of the plan before rounding (else null). */
    public double[] colSums() {
        return colSums;
    }

    /** With {@link #floatPlan()}: the plan's entropy {@code -sum P log P} (else NaN). */
    public double entropy() {
        return entropy;
    }

    public boolean isSparse() {
        return rowIdx != null;
    }

    /** Sparse form: rows of the non-zero entries, or null for a dense result. */
    public int[] sparseRows() {
        return rowIdx;
    }

    public int[] sparseCols() {
        return colIdx;
    }

    public double[] sparseMass() {
        return mass;
    }

    /** True when the plan is a permutation matrix scaled by {@code 1/n}. */
    public boolean isPermutation() {
        return permutation != null;
    }

    /** {@code row -> column} when {@link #isPermutation()}, else null. */
    public int[] permutation() {
        return permutation;
    }

    public double objective() {
        return objective;
    }

    /** Source dual potential f (exact solvers), else null. */
    public double[] dualF() {
        return dualF;
    }

    /** Target dual potential g (exact solvers), else null. */
    public double[] dualG() {
        return dualG;
    }

    public long iterations() {
        return iterations;
    }

    /** {@code ||P 1 - a||_1 + ||P^T 1 - b||_1} of the returned plan. */
    public double marginalError() {
        return marginalError;
    }

    /** The solver's own last stopping criterion value (Sinkhorn: POT's column-marginal L2 error). */
    public double stopError() {
        return stopError;
    }

    public boolean converged() {
        return converged;
    }

    /** A POT-style warning ("numerical errors at iteration 3", "did not converge"), or null. */
    public String warning() {
        return warning;
    }

    public long timeNanos() {
        return timeNanos;
    }

    public double seconds() {
        return timeNanos * 1e-9;
    }

    @Override
    public String toString() {
        return String.format("OtResult[%s %dx%d obj=%.12g iters=%d err=%.3g converged=%s%s %.3fs]", solver, n, m, objective,
                iterations, marginalError, converged, warning == null ? "" : " warning='" + warning + "'", seconds());
    }

    static final class Builder {
        final String solver;
        final int n;
        final int m;
        double[] dense;
        int[] rowIdx;
        int[] colIdx;
        double[] mass;
        int[] permutation;
        double objective;
        double[] dualF;
        double[] dualG;
        long iterations;
        double marginalError;
        double stopError = Double.NaN;
        boolean converged = true;
        String warning;
        long timeNanos;
        float[] floatPlan;
        double[] rowSums;
        double[] colSums;
        double entropy = Double.NaN;

        Builder(String solver, int n, int m) {
            this.solver = solver;
            this.n = n;
            this.m = m;
        }

        Builder dense(double[] d) {
            this.dense = d;
            return this;
        }

        Builder floatPlan(float[] p, double[] rows, double[] cols, double h) {
            this.floatPlan = p;
            this.rowSums = rows;
            this.colSums = cols;
            this.entropy = h;
            return this;
        }

        Builder sparse(int[] r, int[] c, double[] w) {
            this.rowIdx = r;
            this.colIdx = c;
            this.mass = w;
            return this;
        }

        Builder permutation(int[] p) {
            this.permutation = p;
            int k = p.length;
            int[] r = new int[k];
            double[] w = new double[k];
            for (int i = 0; i < k; i++) {
                r[i] = i;
                w[i] = 1.0 / k;
            }
            return sparse(r, p.clone(), w);
        }

        Builder objective(double o) {
            this.objective = o;
            return this;
        }

        Builder duals(double[] f, double[] g) {
            this.dualF = f;
            this.dualG = g;
            return this;
        }

        Builder iterations(long it) {
            this.iterations = it;
            return this;
        }

        Builder marginalError(double e) {
            this.marginalError = e;
            return this;
        }

        Builder stopError(double e) {
            this.stopError = e;
            return this;
        }

        Builder converged(boolean c) {
            this.converged = c;
            return this;
        }

        Builder warning(String w) {
            this.warning = w;
            return this;
        }

        Builder timeNanos(long t) {
            this.timeNanos = t;
            return this;
        }

        OtResult build() {
            return new OtResult(this);
        }
    }
}
