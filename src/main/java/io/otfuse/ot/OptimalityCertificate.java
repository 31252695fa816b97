package io.otfuse.ot;

/**
 * Checks an exact OT solution against the LP optimality conditions, independently of how it was found:
 * primal feasibility ({@code P >= 0}, {@code P 1 = a}, {@code P^T 1 = b}), dual feasibility
 * ({@code f_i + g_j <= C_ij}), complementary slackness ({@code f_i + g_j = C_ij} wherever
 * {@code P_ij > 0}) and the duality gap {@code |<P,C> - (a.f + b.g)|}. All measures are absolute;
 * {@link #requireOptimal(double)} scales the tolerance by the problem's cost and mass scale.
 */
public final class OptimalityCertificate {
    private final double negativeMass;
    private final double marginalError;
    private final double dualViolation;
    private final double slacknessViolation;
    private final double dualityGap;
    private final double primalObjective;
    private final double dualObjective;
    private final double costScale;
    private final double mass;

    private OptimalityCertificate(double negativeMass, double marginalError, double dualViolation, double slacknessViolation,
                                  double primal, double dual, double costScale, double mass) {
        this.negativeMass = negativeMass;
        this.marginalError = marginalError;
        this.dualViolation = dualViolation;
        this.slacknessViolation = slacknessViolation;
        this.primalObjective = primal;
        this.dualObjective = dual;
        this.dualityGap = Math.abs(primal - dual);
        this.costScale = costScale;
        this.mass = mass;
    }

    /** Certificate of {@code result}'s plan and duals for {@code p}; the result must carry duals. */
    public static OptimalityCertificate check(OtProblem p, OtResult result) {
        if (result.dualF() == null || result.dualG() == null) {
            throw new IllegalArgumentException("result of " + result.solver() + " has no dual potentials");
        }
        return check(p, result.plan(), result.dualF(), result.dualG());
    }

    public static OptimalityCertificate check(OtProblem p, double[] plan, double[] f, double[] g) {
        int n = p.n();
        int m = p.m();
        double[] c = p.cost().data();
        double[] a = p.a();
        double[] b = p.b();
        double neg = 0;
        double dualViol = 0;
        double slack = 0;
        double primal = 0;
        double[] col = new double[m];
        double margErr = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int j = 0; j < m; j++) {
                double pij = plan[i * m + j];
                double cij = c[i * m + j];
                double rc = cij - f[i] - g[j];
                if (pij < 0) {
                    neg = Math.max(neg, -pij);
                }
                if (rc < 0) {
                    dualViol = Math.max(dualViol, -rc);
                }
                if (pij > 0) {
                    slack = Math.max(slack, Math.abs(rc));
                }
                row += pij;
                col[j] += pij;
                primal += pij * cij;
            }
            margErr = Math.max(margErr, Math.abs(row - a[i]));
        }
        for (int j = 0; j < m; j++) {
            margErr = Math.max(margErr, Math.abs(col[j] - b[j]));
        }
        double dual = 0;
        for (int i = 0; i < n; i++) {
            dual += a[i] * f[i];
        }
        for (int j = 0; j < m; j++) {
            dual += b[j] * g[j];
        }
        return new OptimalityCertificate(neg, margErr, dualViol, slack, primal, dual, Math.max(p.cost().maxAbs(), 1e-300), p.mass());
    }

    /** Largest negative plan entry (as a positive number). */
    public double negativeMass() {
        return negativeMass;
    }

    /** Largest absolute violation of a row or column marginal. */
    public double marginalError() {
        return marginalError;
    }

    /** Largest {@code f_i + g_j - C_ij} over all pairs (0 when dual feasible). */
    public double dualViolation() {
        return dualViolation;
    }

    /** Largest {@code |C_ij - f_i - g_j|} over the support of the plan. */
    public double slacknessViolation() {
        return slacknessViolation;
    }

    public double dualityGap() {
        return dualityGap;
    }

    public double primalObjective() {
        return primalObjective;
    }

    public double dualObjective() {
        return dualObjective;
    }

    /**
     * True when mass errors are within {@code tol * mass} and dual/slackness/gap errors within
     * {@code tol * max|C|} (gap: {@code tol * max|C| * mass}).
     */
    public boolean isOptimal(double tol) {
        return negativeMass <= tol * mass && marginalError <= tol * mass && dualViolation <= tol * costScale
                && slacknessViolation <= tol * costScale && dualityGap <= tol * costScale * mass;
    }

    /** Throws {@link IllegalStateException} describing the failure unless {@link #isOptimal(double)}. */
    public OptimalityCertificate requireOptimal(double tol) {
        if (!isOptimal(tol)) {
            throw new IllegalStateException("optimality certificate failed (tol " + tol + "): " + this);
        }
        return this;
    }

    @Override
    public String toString() {
        return String.format("Certificate[negMass=%.3g marginalErr=%.3g dualViol=%.3g slackViol=%.3g gap=%.3g primal=%.15g dual=%.15g]",
                negativeMass, marginalError, dualViolation, slacknessViolation, dualityGap, primalObjective, dualObjective);
    }
}
