package io.otfuse.fusion;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;

/**
 * TEMPORARY solvers, to be replaced by {@code io.otfuse.ot} when that package is merged (see {@link OtAdapter}).
 * Exact: Hungarian assignment, for uniform marginals only (rectangular problems are expanded to a square
 * one of size n*m/gcd(n, m)). Entropic: Sinkhorn-Knopp with the iteration and stopping rule of POT 0.8.2
 * ({@code ot.bregman.sinkhorn_knopp}), in double precision.
 */
public final class StopgapSolvers {
    private StopgapSolvers() {}

    /** Largest expanded assignment problem the stopgap accepts. */
    static final int MAX_ASSIGNMENT = 2500;

    public static TransportSolver emd() {
        return new TransportSolver() {
            @Override
            public Result solve(double[] a, double[] b, double[] cost, int n, int m) {
                return exact(a, b, cost, n, m);
            }

            @Override
            public String name() {
                return "emd";
            }
        };
    }

    public static TransportSolver sinkhorn(double reg, int maxIter, double stopThr) {
        return new TransportSolver() {
            @Override
            public Result solve(double[] a, double[] b, double[] cost, int n, int m) {
                return sinkhornKnopp(a, b, cost, n, m, reg, maxIter, stopThr);
            }

            @Override
            public String name() {
                return "sinkhorn(" + reg + ")";
            }
        };
    }

    static TransportSolver.Result exact(double[] a, double[] b, double[] cost, int n, int m) {
        for (double x : a) if (Math.abs(x - 1.0 / n) > 1e-12) throw new IllegalArgumentException("stopgap EMD needs uniform marginals");
        for (double x : b) if (Math.abs(x - 1.0 / m) > 1e-12) throw new IllegalArgumentException("stopgap EMD needs uniform marginals");
        int g = gcd(n, m);
        int rep0 = m / g, rep1 = n / g; // copies of each row / column
        long size = (long) n * rep0;
        if (size > MAX_ASSIGNMENT) {
            throw new OtfuseException(ExitCode.USAGE, "exact OT of a " + n + "x" + m + " problem needs the io.otfuse.ot solvers (the built-in stopgap handles up to "
                    + MAX_ASSIGNMENT + " after expansion); use --solver sinkhorn");
        }
        int s = (int) size;
        double[] c = new double[s * s];
        for (int r = 0; r < s; r++) {
            int i = r / rep0;
            for (int q = 0; q < s; q++) c[r * s + q] = cost[i * m + q / rep1];
        }
        int[] assign = hungarian(c, s);
        double[] plan = new double[n * m];
        double unit = 1.0 / s;
        for (int r = 0; r < s; r++) plan[(r / rep0) * m + assign[r] / rep1] += unit;
        return new TransportSolver.Result(plan, n, m, 0, true, null);
    }

    /** Minimum-cost assignment of an {@code s x s} cost matrix: row r goes to column result[r]. O(s^3). */
    static int[] hungarian(double[] c, int s) {
        double[] u = new double[s + 1], v = new double[s + 1];
        int[] p = new int[s + 1], way = new int[s + 1];
        double[] minv = new double[s + 1];
        boolean[] used = new boolean[s + 1];
        for (int i = 1; i <= s; i++) {
            p[0] = i;
            int j0 = 0;
            java.util.Arrays.fill(minv, Double.POSITIVE_INFINITY);
            java.util.Arrays.fill(used, false);
            do {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = Double.POSITIVE_INFINITY;
                int row = (i0 - 1) * s;
                for (int j = 1; j <= s; j++) {
                    if (!used[j]) {
                        double cur = c[row + j - 1] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= s; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] res = new int[s];
        for (int j = 1; j <= s; j++) res[p[j] - 1] = j - 1;
        return res;
    }

    /** POT 0.8.2 {@code sinkhorn_knopp}: same updates, same error check every 10 iterations, same fallback on numerical errors. */
    static TransportSolver.Result sinkhornKnopp(double[] a, double[] b, double[] cost, int n, int m, double reg, int maxIter, double stopThr) {
        double[] u = new double[n], v = new double[m];
        java.util.Arrays.fill(u, 1.0 / n);
        java.util.Arrays.fill(v, 1.0 / m);
        double[] k = new double[n * m];
        for (int i = 0; i < n * m; i++) k[i] = Math.exp(-cost[i] / reg);
        double[] ktu = new double[m], kv = new double[n];
        String warning = null;
        boolean converged = false;
        int it;
        for (it = 0; it < maxIter; it++) {
            double[] uprev = u.clone(), vprev = v.clone();
            java.util.Arrays.fill(ktu, 0);
            for (int i = 0; i < n; i++) {
                double ui = u[i];
                int row = i * m;
                for (int j = 0; j < m; j++) ktu[j] += k[row + j] * ui;
            }
            boolean bad = false;
            for (int j = 0; j < m; j++) {
                if (ktu[j] == 0) bad = true;
                v[j] = b[j] / ktu[j];
            }
            for (int i = 0; i < n; i++) {
                double s = 0;
                int row = i * m;
                for (int j = 0; j < m; j++) s += k[row + j] * v[j];
                u[i] = 1.0 / (s / a[i]); // Kp = diag(1/a) K
            }
            for (double x : u) if (!Double.isFinite(x)) bad = true;
            for (double x : v) if (!Double.isFinite(x)) bad = true;
            if (bad) {
                u = uprev;
                v = vprev;
                warning = "numerical errors at iteration " + it;
                break;
            }
            if (it % 10 == 0) {
                double err = 0;
                double[] col = new double[m];
                for (int i = 0; i < n; i++) {
                    int row = i * m;
                    for (int j = 0; j < m; j++) col[j] += u[i] * k[row + j] * v[j];
                }
                for (int j = 0; j < m; j++) err += (col[j] - b[j]) * (col[j] - b[j]);
                if (Math.sqrt(err) < stopThr) {
                    converged = true;
                    it++;
                    break;
                }
            }
        }
        if (!converged && warning == null) warning = "Sinkhorn did not converge";
        double[] plan = new double[n * m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) plan[i * m + j] = u[i] * k[i * m + j] * v[j];
        return new TransportSolver.Result(plan, n, m, it, converged, warning);
    }

    static int gcd(int x, int y) {
        return y == 0 ? x : gcd(y, x % y);
    }
}
