package io.otfuse.fusion;

/**
 * A transport map between the neurons of one space in model k ({@code n} rows) and in the anchor
 * ({@code m} columns): the raw plan {@code P} of total mass 1, and its normalised forms used to move tensors.
 */
public final class TransportMap {
    private final int n;
    private final int m;
    private final double[] plan;
    private Matrix rows, rowStochastic, colStochastic;

    public TransportMap(double[] plan, int n, int m) {
        if (plan.length != (long) n * m) throw new IllegalArgumentException("plan has " + plan.length + " entries, expected " + n + "x" + m);
        this.plan = plan;
        this.n = n;
        this.m = m;
    }

    /** {@code I/n}: the anchor mapped onto itself. */
    public static TransportMap identity(int n) {
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) p[i * n + i] = 1.0 / n;
        return new TransportMap(p, n, n);
    }

    /** The map of a permutation {@code perm[i] = j}: neuron i of model k is neuron j of the anchor. */
    public static TransportMap permutation(int[] perm) {
        int n = perm.length;
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) p[i * n + perm[i]] = 1.0 / n;
        return new TransportMap(p, n, n);
    }

    public int n() {
        return n;
    }

    public int m() {
        return m;
    }

    public double[] plan() {
        return plan;
    }

    /** How an axis is moved into anchor coordinates. */
    public enum Norm {
        /** {@code P * n} (the reference implementation's {@code T / beta}). */
        ROWS,
        /** {@code P / rowsum}: every model-k neuron a convex combination of anchor neurons (inputs). */
        ROW_STOCHASTIC,
        /** {@code P / colsum}: every anchor neuron a convex combination of model-k neurons (outputs). */
        COL_STOCHASTIC
    }

    public synchronized Matrix normalised(Norm norm) {
        switch (norm) {
            case ROWS -> {
                if (rows == null) {
                    double[] d = new double[plan.length];
                    for (int i = 0; i < d.length; i++) d[i] = plan[i] * n;
                    rows = Matrix.of(d, n, m);
                }
                return rows;
            }
            case ROW_STOCHASTIC -> {
                if (rowStochastic == null) {
                    double[] d = new double[plan.length];
                    for (int i = 0; i < n; i++) {
                        double s = 0;
                        for (int j = 0; j < m; j++) s += plan[i * m + j];
                        double inv = s > 0 ? 1 / s : 0;
                        for (int j = 0; j < m; j++) d[i * m + j] = plan[i * m + j] * inv;
                    }
                    rowStochastic = Matrix.of(d, n, m);
                }
                return rowStochastic;
            }
            default -> {
                if (colStochastic == null) {
                    double[] col = new double[m];
                    for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) col[j] += plan[i * m + j];
                    double[] d = new double[plan.length];
                    for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) d[i * m + j] = col[j] > 0 ? plan[i * m + j] / col[j] : 0;
                    colStochastic = Matrix.of(d, n, m);
                }
                return colStochastic;
            }
        }
    }

    /** If the plan is a scaled permutation (square, one entry per row and column), that permutation. */
    public int[] asPermutation() {
        if (n != m) return null;
        int[] perm = new int[n];
        boolean[] seen = new boolean[m];
        for (int i = 0; i < n; i++) {
            int found = -1;
            for (int j = 0; j < m; j++) {
                double x = plan[i * m + j];
                if (x != 0) {
                    if (found >= 0 || Math.abs(x * n - 1) > 1e-9) return null;
                    found = j;
                }
            }
            if (found < 0 || seen[found]) return null;
            seen[found] = true;
            perm[i] = found;
        }
        return perm;
    }

    /** Entropy {@code -sum P log P} of the plan (0 for a permutation: log n for... the uniform-mass case is log n). */
    public double entropy() {
        double h = 0;
        for (double x : plan) if (x > 0) h -= x * Math.log(x);
        return h;
    }

    /** L1 distance of the plan's marginals from the uniform ones. */
    public double marginalError() {
        double e = 0;
        double[] col = new double[m];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < m; j++) {
                s += plan[i * m + j];
                col[j] += plan[i * m + j];
            }
            e += Math.abs(s - 1.0 / n);
        }
        for (int j = 0; j < m; j++) e += Math.abs(col[j] - 1.0 / m);
        return e;
    }

    /**
     * A normalised map as used to move tensor axes: dense row-major float, plus a sparse row list when
     * most entries are zero (hard alignments), so permutations cost O(size of the tensor).
     */
    public static final class Matrix {
        final int n, m;
        final float[] dense;
        final int[] rowStart, cols; // CSR, null when dense
        final float[] vals;

        private Matrix(int n, int m, float[] dense, int[] rowStart, int[] cols, float[] vals) {
            this.n = n;
            this.m = m;
            this.dense = dense;
            this.rowStart = rowStart;
            this.cols = cols;
            this.vals = vals;
        }

        static Matrix of(double[] d, int n, int m) {
            int nnz = 0;
            for (double x : d) if (x != 0) nnz++;
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            if (nnz > 2L * (n + m)) return new Matrix(n, m, f, null, null, null);
            int[] rs = new int[n + 1];
            int[] cs = new int[nnz];
            float[] vs = new float[nnz];
            int k = 0;
            for (int i = 0; i < n; i++) {
                rs[i] = k;
                for (int j = 0; j < m; j++) {
                    if (d[i * m + j] != 0) {
                        cs[k] = j;
                        vs[k++] = (float) d[i * m + j];
                    }
                }
            }
            rs[n] = k;
            return new Matrix(n, m, f, rs, cs, vs);
        }

        private float[] transposed;

        public int n() {
            return n;
        }

        public int m() {
            return m;
        }

        synchronized float[] transposed() {
            if (transposed == null) transposed = Dense.transpose(dense, n, m);
            return transposed;
        }

        public boolean sparse() {
            return rowStart != null;
        }

        public float get(int i, int j) {
            return dense[i * m + j];
        }
    }
}
