package io.otfuse.ot;

import java.util.Arrays;

/**
 * Exact OT for uniform marginals via a dense linear assignment problem, solved with the
 * shortest-augmenting-path method of Jonker and Volgenant (1987): column reduction, reduction
 * transfer, two passes of augmenting row reduction, then Dijkstra-like augmentation for the remaining
 * free rows. Re-implemented from the paper's description.
 *
 * <p>Applies when the uniform transport problem has an optimal plan with entries in {0, 1/N}:
 * {@code n == m} (a permutation), or {@code m = k n} (each row replicated k times) or {@code n = k m}
 * (solved on the transpose). The transport objective is the assignment cost divided by {@code N = max(n, m)}.
 * Dual potentials: from the assignment column duals {@code v}, {@code g = v} and
 * {@code f_i = min_j (C_ij - v_j)}; then {@code a.f + b.g} equals the transport objective.
 */
public final class AssignmentSolver implements OtSolver {
    public static final String NAME = "assignment-jv";

    /** True when {@link #solve} can handle the problem exactly. */
    public static boolean applies(OtProblem p) {
        if (!p.isUniform()) {
            return false;
        }
        int n = p.n();
        int m = p.m();
        return n == m || (m > n ? m % n == 0 : n % m == 0);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OtResult solve(OtProblem p, OtOptions o) {
        if (!applies(p)) {
            throw new IllegalArgumentException("assignment solver needs uniform marginals and n | m or m | n; got "
                    + p.n() + "x" + p.m() + (p.isUniform() ? "" : " with non-uniform marginals"));
        }
        long t0 = System.nanoTime();
        int n = p.n();
        int m = p.m();
        boolean transposed = n > m;
        CostMatrix c = transposed ? p.cost().transpose() : p.cost();
        int rows = c.rows();   // <= cols
        int cols = c.cols();
        int k = cols / rows;
        int[] rowBase = new int[cols];
        for (int r = 0; r < cols; r++) {
            rowBase[r] = (r / k) * cols;
        }
        double[] data = c.data();
        int[] x = new int[cols];
        double[] v = new double[cols];
        lapjv(data, rowBase, cols, x, v);

        // transport duals of the (possibly transposed) problem: f_i = min_j (C_ij - v_j), g_j = v_j
        double[] f = new double[rows];
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            double mn = Double.POSITIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                double h = data[base + j] - v[j];
                if (h < mn) {
                    mn = h;
                }
            }
            f[i] = mn;
        }
        double[] g = v.clone();
        double total = 0;
        for (int r = 0; r < cols; r++) {
            total += data[rowBase[r] + x[r]];
        }
        double objective = total / cols;

        OtResult.Builder rb = OtResult.builder(NAME, n, m).objective(objective).iterations(0).converged(true);
        if (k == 1) {
            if (transposed) {
                int[] inv = new int[cols];
                for (int r = 0; r < cols; r++) {
                    inv[x[r]] = r;
                }
                rb.permutation(inv);
            } else {
                rb.permutation(x.clone());
            }
        } else {
            int[] ri = new int[cols];
            int[] ci = new int[cols];
            double[] w = new double[cols];
            for (int r = 0; r < cols; r++) {
                int i = r / k;
                ri[r] = transposed ? x[r] : i;
                ci[r] = transposed ? i : x[r];
                w[r] = 1.0 / cols;
            }
            rb.sparse(ri, ci, w);
        }
        double[] ff = transposed ? g : f;
        double[] gg = transposed ? f : g;
        center(ff, gg, p.a(), p.b());
        rb.duals(ff, gg).marginalError(0.0).stopError(0.0);
        OtResult res = rb.timeNanos(System.nanoTime() - t0).build();
        if (o.certify()) {
            OptimalityCertificate.check(p, res).requireOptimal(1e-9);
        }
        return res;
    }

    /**
     * An optimal assignment of a square {@code dim x dim} block of a larger row-major cost: row r's costs are
     * {@code c[offset + r * stride + j]}, {@code j < dim}, read in place. Returns the column of each row: the permutation
     * {@link #solve} finds for that block as a problem of its own.
     */
    public static int[] assign(double[] c, int offset, int stride, int dim) {
        int[] rowBase = new int[dim];
        for (int r = 0; r < dim; r++) {
            rowBase[r] = offset + r * stride;
        }
        int[] x = new int[dim];
        lapjv(c, rowBase, dim, x, new double[dim]);
        return x;
    }

    /** POT's {@code center_ot_dual}: shift so that {@code a.f == b.g}. */
    static void center(double[] f, double[] g, double[] a, double[] b) {
        double af = 0;
        double bg = 0;
        double sa = 0;
        double sb = 0;
        for (int i = 0; i < f.length; i++) {
            af += a[i] * f[i];
            sa += a[i];
        }
        for (int j = 0; j < g.length; j++) {
            bg += b[j] * g[j];
            sb += b[j];
        }
        double s = (bg - af) / (sa + sb);
        for (int i = 0; i < f.length; i++) {
            f[i] += s;
        }
        for (int j = 0; j < g.length; j++) {
            g[j] -= s;
        }
    }

    /**
     * Square dense LAP of size {@code dim}: row r's costs are {@code c[rowBase[r] + j]}. On return
     * {@code x[r]} is the column of row r and {@code v} the column duals; row duals are
     * {@code c[r, x[r]] - v[x[r]]}, reduced costs {@code c - u - v >= 0} (up to rounding).
     */
    static void lapjv(double[] c, int[] rowBase, int dim, int[] x, double[] v) {
        int[] y = new int[dim];
        Arrays.fill(x, -1);
        Arrays.fill(y, -1);
        if (dim == 1) {
            x[0] = 0;
            y[0] = 0;
            v[0] = c[rowBase[0]];
            return;
        }
        // --- column reduction (column minima found by a row-major sweep; first minimum row wins)
        double[] colMin = new double[dim];
        int[] colArg = new int[dim];
        Arrays.fill(colMin, Double.POSITIVE_INFINITY);
        for (int i = 0; i < dim; i++) {
            int base = rowBase[i];
            for (int j = 0; j < dim; j++) {
                double h = c[base + j];
                if (h < colMin[j]) {
                    colMin[j] = h;
                    colArg[j] = i;
                }
            }
        }
        int[] matches = new int[dim];
        for (int j = dim - 1; j >= 0; j--) {
            v[j] = colMin[j];
            int i = colArg[j];
            if (++matches[i] == 1) {
                x[i] = j;
                y[j] = i;
            } else if (v[j] < v[x[i]]) {
                int j1 = x[i];
                x[i] = j;
                y[j] = i;
                y[j1] = -1;
            } else {
                y[j] = -1;
            }
        }
        // --- reduction transfer
        int[] free = new int[dim];
        int numFree = 0;
        for (int i = 0; i < dim; i++) {
            if (matches[i] == 0) {
                free[numFree++] = i;
            } else if (matches[i] == 1) {
                int j1 = x[i];
                int base = rowBase[i];
                double mn = Double.POSITIVE_INFINITY;
                for (int j = 0; j < dim; j++) {
                    if (j != j1) {
                        double h = c[base + j] - v[j];
                        if (h < mn) {
                            mn = h;
                        }
                    }
                }
                v[j1] -= mn;
            } else {
                // row kept the column with the smallest v; others became free columns
                if (x[i] >= 0 && y[x[i]] != i) {
                    x[i] = -1;
                }
            }
        }
        // rows with matches >= 2 that lost all columns are free too
        for (int i = 0; i < dim; i++) {
            if (matches[i] >= 2 && (x[i] < 0 || y[x[i]] != i)) {
                x[i] = -1;
                free[numFree++] = i;
            }
        }
        // --- augmenting row reduction, two passes
        long guard = 16L * dim + 1000;
        int[] two = new int[2];
        double[] twoVal = new double[2];
        for (int loop = 0; loop < 2 && numFree > 0; loop++) {
            int k = 0;
            int prevNumFree = numFree;
            numFree = 0;
            long steps = 0;
            while (k < prevNumFree) {
                int i = free[k++];
                twoSmallest(c, rowBase[i], v, dim, two, twoVal);
                double umin = twoVal[0];
                double usub = twoVal[1];
                int j1 = two[0];
                int j2 = two[1];
                int i0 = y[j1];
                boolean strict = umin < usub;
                if (strict) {
                    v[j1] -= usub - umin;
                } else if (i0 >= 0) {
                    j1 = j2;
                    i0 = y[j2];
                }
                x[i] = j1;
                y[j1] = i;
                if (i0 >= 0) {
                    x[i0] = -1;
                    if (strict && ++steps < guard) {
                        free[--k] = i0;
                    } else {
                        free[numFree++] = i0;
                    }
                }
            }
        }
        // --- augmentation: one shortest augmenting path per remaining free row
        double[] d = new double[dim];
        int[] pred = new int[dim];
        int[] col = new int[dim];
        for (int f = 0; f < numFree; f++) {
            augment(c, rowBase, dim, x, y, v, free[f], d, pred, col);
        }
    }

    /**
     * The two smallest reduced costs {@code c[base + j] - v[j]} of one row: the first index of the minimum in
     * {@code idx[0]}, the first other index of the smallest remaining value in {@code idx[1]}, their values in {@code val}.
     */
    private static void twoSmallest(double[] c, int base, double[] v, int dim, int[] idx, double[] val) {
        double umin = c[base] - v[0];
        int j1 = 0;
        int j2 = -1;
        double usub = Double.POSITIVE_INFINITY;
        for (int j = 1; j < dim; j++) {
            double h = c[base + j] - v[j];
            if (h < usub) {
                if (h >= umin) {
                    usub = h;
                    j2 = j;
                } else {
                    usub = umin;
                    j2 = j1;
                    umin = h;
                    j1 = j;
                }
            }
        }
        idx[0] = j1;
        idx[1] = j2;
        val[0] = umin;
        val[1] = usub;
    }

    /** Dijkstra-like shortest augmenting path from {@code freeRow}, then augmentation along it (updates x, y, v). */
    private static void augment(double[] c, int[] rowBase, int dim, int[] x, int[] y, double[] v, int freeRow, double[] d, int[] pred, int[] col) {
        int fb = rowBase[freeRow];
        for (int j = 0; j < dim; j++) {
            d[j] = c[fb + j] - v[j];
            pred[j] = freeRow;
            col[j] = j;
        }
        int low = 0;
        int up = 0;
        int last = 0;
        int endOfPath = -1;
        double min = 0;
        boolean found = false;
        do {
            if (up == low) {
                last = low - 1;
                min = d[col[up++]];
                for (int kk = up; kk < dim; kk++) {
                    int j = col[kk];
                    double h = d[j];
                    if (h <= min) {
                        if (h < min) {
                            up = low;
                            min = h;
                        }
                        col[kk] = col[up];
                        col[up++] = j;
                    }
                }
                for (int kk = low; kk < up; kk++) {
                    if (y[col[kk]] < 0) {
                        endOfPath = col[kk];
                        found = true;
                        break;
                    }
                }
            }
            if (!found) {
                int j1 = col[low++];
                int i = y[j1];
                int base = rowBase[i];
                double h = c[base + j1] - v[j1] - min;
                for (int kk = up; kk < dim; kk++) {
                    int j = col[kk];
                    double v2 = c[base + j] - v[j] - h;
                    if (v2 < d[j]) {
                        pred[j] = i;
                        if (v2 == min) {
                            if (y[j] < 0) {
                                endOfPath = j;
                                found = true;
                                break;
                            }
                            col[kk] = col[up];
                            col[up++] = j;
                        }
                        d[j] = v2;
                    }
                }
            }
        } while (!found);
        for (int kk = 0; kk <= last; kk++) {
            int j1 = col[kk];
            v[j1] += d[j1] - min;
        }
        int i;
        do {
            i = pred[endOfPath];
            y[endOfPath] = i;
            int j1 = endOfPath;
            endOfPath = x[i];
            x[i] = j1;
        } while (i != freeRow);
    }
}
