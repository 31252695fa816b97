package io.otfuse.fusion;

/**
 * Eigen-decomposition of a real symmetric matrix in double: Householder reduction to tridiagonal form, then the
 * implicit QL iteration with Wilkinson shifts on the tridiagonal matrix, accumulating the rotations into the
 * eigenvectors. O(n^3); used for the principal directions of activations ({@link GroundMetric#pca}).
 */
final class SymmetricEigen {
    /** Eigenvalues, largest first. */
    final double[] values;
    /** Eigenvectors as columns of a row-major n x n matrix: column c belongs to {@code values[c]}. */
    final double[] vectors;

    private SymmetricEigen(double[] values, double[] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /** Decomposes the symmetric row-major n x n matrix {@code a} (only its lower triangle is read; not modified). */
    static SymmetricEigen of(double[] a, int n) {
        if (a.length != (long) n * n) throw new IllegalArgumentException("matrix has " + a.length + " entries, expected " + n + " x " + n);
        double[][] z = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) z[i][j] = z[j][i] = a[i * n + j];
        double[] d = new double[n], e = new double[n];
        tridiagonalise(z, d, e, n);
        // the QL rotations combine two columns of z over every row: hold z transposed so they read rows
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double t = z[i][j];
                z[i][j] = z[j][i];
                z[j][i] = t;
            }
        }
        ql(z, d, e, n);
        // sort by eigenvalue, largest first (a stable order for ties: the QL output order)
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (p, q) -> Double.compare(d[q], d[p]));
        double[] values = new double[n], vectors = new double[n * n];
        for (int c = 0; c < n; c++) {
            int src = order[c];
            values[c] = d[src];
            // sign convention: the largest-magnitude entry of each vector is positive (deterministic output)
            int big = 0;
            double[] v = z[src]; // row src of the transposed z: eigenvector src
            for (int r = 1; r < n; r++) if (Math.abs(v[r]) > Math.abs(v[big])) big = r;
            double s = v[big] < 0 ? -1 : 1;
            for (int r = 0; r < n; r++) vectors[r * n + c] = s * v[r];
        }
        return new SymmetricEigen(values, vectors);
    }

    /**
     * Householder reduction: on return {@code z} holds the orthogonal matrix Q with A = Q T Q^T, {@code d} the
     * diagonal of T and {@code e[i]} its sub-diagonal entry T[i][i-1] ({@code e[0] = 0}).
     */
    private static void tridiagonalise(double[][] z, double[] d, double[] e, int n) {
        for (int i = n - 1; i > 0; i--) {
            int l = i - 1;
            double h = 0;
            if (l > 0) {
                double scale = 0;
                for (int k = 0; k <= l; k++) scale += Math.abs(z[i][k]);
                if (scale == 0) {
                    e[i] = z[i][l];
                } else {
                    for (int k = 0; k <= l; k++) {
                        z[i][k] /= scale;
                        h += z[i][k] * z[i][k];
                    }
                    double f = z[i][l];
                    double g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
                    e[i] = scale * g;
                    h -= f * g;
                    z[i][l] = f - g;
                    f = 0;
                    for (int j = 0; j <= l; j++) {
                        z[j][i] = z[i][j] / h;
                        g = 0;
                        for (int k = 0; k <= j; k++) g += z[j][k] * z[i][k];
                        for (int k = j + 1; k <= l; k++) g += z[k][j] * z[i][k];
                        e[j] = g / h;
                        f += e[j] * z[i][j];
                    }
                    double hh = f / (h + h);
                    for (int j = 0; j <= l; j++) {
                        f = z[i][j];
                        g = e[j] - hh * f;
                        e[j] = g;
                        for (int k = 0; k <= j; k++) z[j][k] -= f * e[k] + g * z[i][k];
                    }
                }
            } else {
                e[i] = z[i][l];
            }
            d[i] = h;
        }
        d[0] = 0;
        e[0] = 0;
        // accumulate the transformations
        for (int i = 0; i < n; i++) {
            int l = i - 1;
            if (d[i] != 0) {
                for (int j = 0; j <= l; j++) {
                    double g = 0;
                    for (int k = 0; k <= l; k++) g += z[i][k] * z[k][j];
                    for (int k = 0; k <= l; k++) z[k][j] -= g * z[k][i];
                }
            }
            d[i] = z[i][i];
            z[i][i] = 1;
            for (int j = 0; j <= l; j++) z[j][i] = z[i][j] = 0;
        }
    }

    /** Implicit QL with shifts on the tridiagonal (d, e), rotations applied to the rows of {@code zt} (z transposed). */
    private static void ql(double[][] zt, double[] d, double[] e, int n) {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        if (n > 0) e[n - 1] = 0;
        for (int l = 0; l < n; l++) {
            int iter = 0;
            int m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= Math.ulp(dd) * 0.5) break;
                }
                if (m != l) {
                    if (++iter > 60) throw new ArithmeticException("eigenvalues did not converge");
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
                    double s = 1, c = 1, p = 0;
                    int i;
                    boolean early = false;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i], b = c * e[i];
                        r = Math.hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) {
                            d[i + 1] -= p;
                            e[m] = 0;
                            early = true;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2 * c * b;
                        p = s * r;
                        d[i + 1] = g + p;
                        g = c * r - b;
                        double[] zi = zt[i], zi1 = zt[i + 1];
                        for (int k = 0; k < n; k++) {
                            f = zi1[k];
                            zi1[k] = s * zi[k] + c * f;
                            zi[k] = c * zi[k] - s * f;
                        }
                    }
                    if (early && i >= l) continue;
                    d[l] -= p;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
    }
}
