package io.otfuse.ot;

/**
 * A discrete OT problem: source marginal {@code a} (length n), target marginal {@code b} (length m)
 * and an {@code n x m} cost matrix. Marginals must be non-negative, finite and of equal mass
 * (relative tolerance 1e-7, like POT 0.8.2's {@code assert_almost_equal(..., decimal=7)} on
 * normalised histograms); {@code b} is then rescaled to {@code b * sum(a) / sum(b)} exactly as POT does.
 */
public final class OtProblem {
    /** Relative tolerance on {@code |sum(a) - sum(b)|}. */
    public static final double MASS_TOLERANCE = 1e-7;

    private final CostMatrix cost;
    private final double[] a;
    private final double[] b;
    private final boolean uniformA;
    private final boolean uniformB;

    private OtProblem(CostMatrix cost, double[] a, double[] b, boolean uniformA, boolean uniformB) {
        this.cost = cost;
        this.a = a;
        this.b = b;
        this.uniformA = uniformA;
        this.uniformB = uniformB;
    }

    /** Uniform marginals {@code 1/n} and {@code 1/m} (the POT default for empty weights). */
    public static OtProblem uniform(CostMatrix cost) {
        return new OtProblem(cost, uniformVector(cost.rows()), uniformVector(cost.cols()), true, true);
    }

    /** Uniform marginals on a row-major double matrix. */
    public static OtProblem uniform(double[] cost, int n, int m) {
        return uniform(CostMatrix.of(cost, n, m));
    }

    /**
     * General marginals. {@code null} means uniform. Checks non-negativity and equal mass (an
     * {@link IllegalArgumentException} naming both sums otherwise) and rescales {@code b} to the mass
     * of {@code a}. The arrays are copied.
     */
    public static OtProblem of(double[] a, double[] b, CostMatrix cost) {
        boolean ua = a == null;
        boolean ub = b == null;
        double[] aa = ua ? uniformVector(cost.rows()) : a.clone();
        double[] bb = ub ? uniformVector(cost.cols()) : b.clone();
        if (aa.length != cost.rows()) {
            throw new IllegalArgumentException("source marginal has length " + aa.length + " but the cost matrix has " + cost.rows() + " rows");
        }
        if (bb.length != cost.cols()) {
            throw new IllegalArgumentException("target marginal has length " + bb.length + " but the cost matrix has " + cost.cols() + " columns");
        }
        double sa = checkedSum(aa, "source marginal a");
        double sb = checkedSum(bb, "target marginal b");
        if (!(sa > 0) || !(sb > 0)) {
            throw new IllegalArgumentException("marginals must have positive mass: sum(a)=" + sa + ", sum(b)=" + sb);
        }
        if (Math.abs(sa - sb) > MASS_TOLERANCE * Math.max(sa, sb)) {
            throw new IllegalArgumentException("marginals must have equal mass: sum(a)=" + sa + " but sum(b)=" + sb);
        }
        if (sa != sb) {
            double s = sa / sb;
            for (int j = 0; j < bb.length; j++) {
                bb[j] *= s;
            }
        }
        return new OtProblem(cost, aa, bb, ua || isUniform(aa), ub || isUniform(bb));
    }

    /** Like {@link #of} but without the equal-mass requirement (for unbalanced OT). */
    public static OtProblem unbalanced(double[] a, double[] b, CostMatrix cost) {
        double[] aa = a == null ? uniformVector(cost.rows()) : a.clone();
        double[] bb = b == null ? uniformVector(cost.cols()) : b.clone();
        if (aa.length != cost.rows() || bb.length != cost.cols()) {
            throw new IllegalArgumentException("marginal lengths " + aa.length + "," + bb.length + " do not match cost " + cost.rows() + "x" + cost.cols());
        }
        checkedSum(aa, "source marginal a");
        checkedSum(bb, "target marginal b");
        return new OtProblem(cost, aa, bb, isUniform(aa), isUniform(bb));
    }

    private static double checkedSum(double[] x, String name) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= 0) || !Double.isFinite(x[i])) {
                throw new IllegalArgumentException(name + " must be non-negative and finite; entry " + i + " is " + x[i]);
            }
            s += x[i];
        }
        return s;
    }

    static double[] uniformVector(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1.0 / n);
        return v;
    }

    private static boolean isUniform(double[] x) {
        for (double v : x) {
            if (v != x[0]) {
                return false;
            }
        }
        return true;
    }

    public CostMatrix cost() {
        return cost;
    }

    public int n() {
        return cost.rows();
    }

    public int m() {
        return cost.cols();
    }

    /** Source marginal (do not modify). */
    public double[] a() {
        return a;
    }

    /** Target marginal (do not modify). */
    public double[] b() {
        return b;
    }

    /** True when every entry of {@code a} is equal and every entry of {@code b} is equal. */
    public boolean isUniform() {
        return uniformA && uniformB;
    }

    public double mass() {
        double s = 0;
        for (double x : a) {
            s += x;
        }
        return s;
    }
}
