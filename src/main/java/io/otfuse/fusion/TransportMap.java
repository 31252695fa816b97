package io.otfuse.fusion;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A transport map between the neurons of one space in model k ({@code n} rows) and in the anchor
 * ({@code m} columns): the raw plan {@code P} of total mass 1, and its normalised forms used to move tensors.
 *
 * <p>A plan is held densely (row-major {@code double[n * m]}) or, for exact solvers, sparsely (its non-zero
 * entries row by row; a permutation has {@code n} of them), so a hard map never costs {@code n x m} memory or time.
 * The marginals, entropy and marginal error are computed in one pass over the plan, the first time one of them is
 * asked for; a normalised form is one more pass that writes the float matrix used to move tensors. Dense passes run
 * on fixed blocks of rows whose partial column sums are added in block order, so results do not depend on the
 * number of threads.
 */
public final class TransportMap {
    private static final int BLOCK = 64;

    private final int n;
    private final int m;
    private double[] plan;                  // dense plan; for sparse maps built on demand
    private final int[] rowStart, cols;     // sparse maps: CSR of the non-zero entries (columns ascending per row)
    private final double[] mass;
    private double[] rowSums, colSums;
    private double entropy, marginalError;
    private Matrix rows, rowStochastic, colStochastic;
    /** Large dense maps: one float copy of the plan that every normalised form scales around (see {@link Matrix}). */
    private float[] raw;
    /** From this many entries a dense map's normalised forms share {@link #raw} instead of holding one matrix each. */
    static final long SHARED_MIN = 1L << 20;

    public TransportMap(double[] plan, int n, int m) {
        if (plan.length != (long) n * m) throw new IllegalArgumentException("plan has " + plan.length + " entries, expected " + n + "x" + m);
        this.plan = plan;
        this.n = n;
        this.m = m;
        this.rowStart = null;
        this.cols = null;
        this.mass = null;
    }

    private TransportMap(int n, int m, int[] rowStart, int[] cols, double[] mass) {
        this.n = n;
        this.m = m;
        this.rowStart = rowStart;
        this.cols = cols;
        this.mass = mass;
    }

    /**
     * A sparse plan from its non-zero entries {@code (rows[e], cols[e], mass[e])} in any order; entries at the same
     * position are added.
     */
    public static TransportMap sparse(int n, int m, int[] rows, int[] cols, double[] mass) {
        int nnz = rows.length;
        Integer[] order = new Integer[nnz];
        for (int e = 0; e < nnz; e++) {
            if (rows[e] < 0 || rows[e] >= n || cols[e] < 0 || cols[e] >= m) throw new IllegalArgumentException("entry (" + rows[e] + ", " + cols[e] + ") outside " + n + "x" + m);
            order[e] = e;
        }
        Arrays.sort(order, (x, y) -> rows[x] != rows[y] ? Integer.compare(rows[x], rows[y]) : Integer.compare(cols[x], cols[y]));
        int[] rs = new int[n + 1];
        int[] cs = new int[nnz];
        double[] ws = new double[nnz];
        int k = 0;
        for (int e = 0; e < nnz; e++) {
            int o = order[e];
            if (k > 0 && cs[k - 1] == cols[o] && rows[order[e - 1]] == rows[o]) {
                ws[k - 1] += mass[o];
                continue;
            }
            cs[k] = cols[o];
            ws[k] = mass[o];
            rs[rows[o] + 1]++;
            k++;
        }
        for (int i = 0; i < n; i++) rs[i + 1] += rs[i];
        return new TransportMap(n, m, rs, Arrays.copyOf(cs, k), Arrays.copyOf(ws, k));
    }

    /**
     * A large plan held only in float ({@code raw}, row-major), with the row and column sums and the entropy of the plan
     * before rounding (a solver's {@link TransportSolver.FloatPlan}). Its normalised forms scale around {@code raw}; the
     * dense double plan is only built (widened from the floats) if {@link #plan()} is called.
     */
    static TransportMap fromFloat(float[] raw, int n, int m, double[] rowSums, double[] colSums, double entropy) {
        if (raw.length != (long) n * m || rowSums.length != n || colSums.length != m) throw new IllegalArgumentException("float plan of " + raw.length + " entries is not " + n + "x" + m);
        TransportMap t = new TransportMap(n, m, null, null, null);
        t.raw = raw;
        double e = 0;
        for (int i = 0; i < n; i++) e += Math.abs(rowSums[i] - 1.0 / n);
        for (int j = 0; j < m; j++) e += Math.abs(colSums[j] - 1.0 / m);
        t.colSums = colSums;
        t.entropy = entropy;
        t.marginalError = e;
        t.rowSums = rowSums;
        return t;
    }

    /** {@code I/n}: the anchor mapped onto itself. */
    public static TransportMap identity(int n) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        return permutation(perm);
    }

    /** The map of a permutation {@code perm[i] = j}: neuron i of model k is neuron j of the anchor. */
    public static TransportMap permutation(int[] perm) {
        int n = perm.length;
        int[] rows = new int[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
            w[i] = 1.0 / n;
        }
        return sparse(n, n, rows, perm.clone(), w);
    }

    public int n() {
        return n;
    }

    public int m() {
        return m;
    }

    /** Head-aware maps: block b of {@code side} rows maps onto block {@code blockTo[b]} of the columns, nothing else. */
    private int side;
    private int[] blockTo;

    /**
     * Records that this square dense plan is block-structured: rows {@code [b side, (b + 1) side)} carry mass only into
     * columns {@code [blockTo[b] side, (blockTo[b] + 1) side)} (a head-aware map). Its dense normalised forms then move
     * tensors block by block, {@code n / side} times fewer multiply-adds. Fails if an entry outside the blocks is not zero.
     */
    public synchronized TransportMap withBlocks(int side, int[] blockTo) {
        if (rowStart != null || plan == null) throw new IllegalStateException("block structure is recorded on a dense plan");
        if (side <= 0 || n != m || (long) side * blockTo.length != n) throw new IllegalArgumentException(blockTo.length + " blocks of " + side + " do not tile a " + n + "x" + m + " map");
        boolean[] hit = new boolean[blockTo.length];
        for (int b = 0; b < blockTo.length; b++) {
            int q = blockTo[b];
            if (q < 0 || q >= blockTo.length || hit[q]) throw new IllegalArgumentException("block targets are not a permutation: " + Arrays.toString(blockTo));
            hit[q] = true;
            for (int i = b * side; i < (b + 1) * side; i++) {
                for (int j = 0; j < m; j++) {
                    if (j / side != q && plan[i * m + j] != 0) throw new IllegalArgumentException("entry (" + i + ", " + j + ") lies outside block " + b + " -> " + q);
                }
            }
        }
        this.side = side;
        this.blockTo = blockTo.clone();
        return this;
    }

    /** Whether {@code x} is this map's dense plan array. */
    boolean holds(double[] x) {
        return plan == x;
    }

    /** Whether the plan is held sparsely (exact solvers). */
    public boolean isSparse() {
        return rowStart != null;
    }

    /**
     * Builds the given normalised forms and the statistics, then releases a dense plan (its largest array): for large maps
     * that nothing reads entry by entry any more. Later {@link #plan()} calls or other normalised forms then fail.
     */
    public synchronized void keepOnly(java.util.Set<Norm> norms) {
        if (rowStart != null) return;
        stats();
        for (Norm nm : norms) normalised(nm);
        released = true;
        io.otfuse.ot.ArrayPool.give(plan);
        plan = null;
    }

    /**
     * Hands the dense plan and the dense normalised forms back to {@link io.otfuse.ot.ArrayPool} when nothing will read
     * this map again (the executor drops it); the map is unusable afterwards.
     */
    public synchronized void release() {
        if (rowStart == null && plan != null) io.otfuse.ot.ArrayPool.give(plan);
        plan = null;
        released = true;
        for (Matrix x : new Matrix[] {rows, rowStochastic, colStochastic}) {
            if (x != null && x.rowStart == null) io.otfuse.ot.ArrayPool.give(x.dense);
        }
        io.otfuse.ot.ArrayPool.give(raw);
        raw = null;
        rows = rowStochastic = colStochastic = null;
    }

    private boolean released;

    /** The dense row-major plan (built on the first call for a sparse map). */
    public synchronized double[] plan() {
        if (released) throw new IllegalStateException("the dense plan of this " + n + "x" + m + " map was released after its normalised forms were built");
        if (plan == null && rowStart == null) {
            double[] d = new double[n * m]; // a float-only plan, widened
            for (int x = 0; x < d.length; x++) d[x] = raw[x];
            plan = d;
        }
        if (plan == null) {
            double[] d = new double[n * m];
            for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) d[i * m + cols[e]] = mass[e];
            plan = d;
        }
        return plan;
    }

    /** Calls {@code f(i, j, P_ij)} for every non-zero entry, row by row. */
    public void forEachNonZero(Entry f) {
        if (rowStart != null) {
            for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) f.accept(i, cols[e], mass[e]);
            return;
        }
        double[] p = plan();
        for (int i = 0; i < n; i++) {
            int base = i * m;
            for (int j = 0; j < m; j++) if (p[base + j] != 0) f.accept(i, j, p[base + j]);
        }
    }

    public interface Entry {
        void accept(int i, int j, double p);
    }

    /** {@code <P, C>} for a row-major {@code n x m} cost. */
    public double dot(double[] cost) {
        if (rowStart != null) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) s += mass[e] * cost[i * m + cols[e]];
            return s;
        }
        int nb = (n + BLOCK - 1) / BLOCK;
        double[] part = new double[nb];
        double[] p = plan();
        blocks(nb, b -> {
            double s = 0;
            for (int x = b * BLOCK * m, end = Math.min(n, (b + 1) * BLOCK) * m; x < end; x++) s += p[x] * cost[x];
            part[b] = s;
        });
        double s = 0;
        for (double x : part) s += x;
        return s;
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
                if (rows == null) rows = build(norm);
                return rows;
            }
            case ROW_STOCHASTIC -> {
                if (rowStochastic == null) rowStochastic = build(norm);
                return rowStochastic;
            }
            default -> {
                if (colStochastic == null) colStochastic = build(norm);
                return colStochastic;
            }
        }
    }

    /** The normalised entry for plan value {@code p} at (i, j); {@link #stats()} must have run for the stochastic forms. */
    private float value(Norm norm, double p, int i, int j, double[] invRow) {
        return switch (norm) {
            case ROWS -> (float) (p * n);
            case ROW_STOCHASTIC -> (float) (p * invRow[i]);
            default -> colSums[j] > 0 ? (float) (p / colSums[j]) : 0f;
        };
    }

    private Matrix build(Norm norm) {
        if (released) throw new IllegalStateException("normalised form " + norm + " was not kept when the dense plan of this " + n + "x" + m + " map was released");
        if (norm != Norm.ROWS) stats();
        double[] invRow = new double[n];
        if (norm == Norm.ROW_STOCHASTIC) for (int i = 0; i < n; i++) invRow[i] = rowSums[i] > 0 ? 1 / rowSums[i] : 0;
        if (rowStart == null && (long) n * m >= SHARED_MIN && (raw != null || buildRaw())) {
            return switch (norm) {
                case ROWS -> Matrix.scaled(raw, n, m, null, null, n);
                case ROW_STOCHASTIC -> Matrix.scaled(raw, n, m, invRow, null, 1);
                case COL_STOCHASTIC -> {
                    double[] invCol = new double[m];
                    for (int j = 0; j < m; j++) invCol[j] = colSums[j] > 0 ? 1 / colSums[j] : 0;
                    yield Matrix.scaled(raw, n, m, null, invCol, 1);
                }
            };
        }
        if (rowStart != null) {
            float[] vs = new float[mass.length];
            for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) vs[e] = value(norm, mass[e], i, cols[e], invRow);
            return Matrix.sparse(n, m, rowStart, cols, vs);
        }
        float[] f = io.otfuse.ot.ArrayPool.floats(n * m); // every entry is written
        long total = floatRows(i -> switch (norm) {
            case ROWS -> RowKernels.normalisedRow(plan, i * m, m, n, null, f);
            case ROW_STOCHASTIC -> RowKernels.normalisedRow(plan, i * m, m, invRow[i], null, f);
            case COL_STOCHASTIC -> RowKernels.normalisedRow(plan, i * m, m, 1, colSums, f);
        });
        Matrix mat = Matrix.of(f, n, m, total);
        return blockTo != null && !mat.sparse() ? mat.withBlocks(side, blockTo) : mat;
    }

    /** Runs {@code row} (which writes plan row i in float and returns its non-zero count) on every row in blocks; the total. */
    private long floatRows(java.util.function.IntUnaryOperator row) {
        int nb = (n + BLOCK - 1) / BLOCK;
        long[] nnz = new long[nb];
        blocks(nb, b -> {
            long c = 0;
            for (int i = b * BLOCK, i1 = Math.min(n, (b + 1) * BLOCK); i < i1; i++) c += row.applyAsInt(i);
            nnz[b] = c;
        });
        long total = 0;
        for (long c : nnz) total += c;
        return total;
    }

    /**
     * Writes {@link #raw}, the plan rounded to float, in one pass; false (and nothing kept) when the plan is sparse enough
     * for a row list, which the per-form path builds.
     */
    private boolean buildRaw() {
        float[] f = io.otfuse.ot.ArrayPool.floats(n * m); // every entry is written
        if (floatRows(i -> RowKernels.normalisedRow(plan, i * m, m, 1, null, f)) <= 2L * (n + m)) {
            io.otfuse.ot.ArrayPool.give(f);
            return false;
        }
        raw = f;
        return true;
    }

    /**
     * Block means of the plan at most {@code maxSide} x {@code maxSide}: rows in blocks of {@code ceil(n / maxSide)}
     * consecutive rows (the last may be shorter), columns likewise; each cell is the mean of its block (the same
     * numbers as {@code io.otfuse.report.Downsample.blockMean} of the dense plan). O(non-zeros) for sparse plans.
     */
    public double[][] blockMeans(int maxSide) {
        int br = Math.max(1, (n + maxSide - 1) / maxSide), bc = Math.max(1, (m + maxSide - 1) / maxSide);
        int or = (n + br - 1) / br, oc = (m + bc - 1) / bc;
        double[][] out = new double[or][oc];
        if (rowStart != null) {
            for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) out[i / br][cols[e] / bc] += mass[e];
        } else {
            float[] f = plan == null ? raw : null; // a float-only plan
            blocks(or, bi -> {
                for (int i = bi * br, i1 = Math.min(n, (bi + 1) * br); i < i1; i++) {
                    if (f != null) addToBlocks(f, i * m, out[bi], oc, bc, m);
                    else addToBlocks(plan, i * m, out[bi], oc, bc, m);
                }
            });
        }
        for (int bi = 0; bi < or; bi++) {
            int nr = Math.min(br, n - bi * br);
            for (int bj = 0; bj < oc; bj++) out[bi][bj] /= (double) nr * Math.min(bc, m - bj * bc);
        }
        return out;
    }

    /** Adds row {@code base .. base + m} of a plan to {@code dst[bj]}, block bj holding columns {@code bj bc ..}. */
    private static void addToBlocks(double[] p, int base, double[] dst, int oc, int bc, int m) {
        for (int bj = 0; bj < oc; bj++) {
            double s = dst[bj];
            for (int j = bj * bc, j1 = Math.min(m, (bj + 1) * bc); j < j1; j++) s += p[base + j];
            dst[bj] = s;
        }
    }

    private static void addToBlocks(float[] p, int base, double[] dst, int oc, int bc, int m) {
        for (int bj = 0; bj < oc; bj++) {
            double s = dst[bj];
            for (int j = bj * bc, j1 = Math.min(m, (bj + 1) * bc); j < j1; j++) s += p[base + j];
            dst[bj] = s;
        }
    }

    /** If the plan is a scaled permutation (square, one entry per row and column), that permutation. */
    public int[] asPermutation() {
        if (n != m) return null;
        int[] perm = new int[n];
        Arrays.fill(perm, -1);
        boolean[] seen = new boolean[m];
        boolean[] bad = {false};
        forEachNonZero((i, j, x) -> {
            if (perm[i] >= 0 || Math.abs(x * n - 1) > 1e-9) bad[0] = true;
            else perm[i] = j;
        });
        if (bad[0]) return null;
        for (int i = 0; i < n; i++) {
            if (perm[i] < 0 || seen[perm[i]]) return null;
            seen[perm[i]] = true;
        }
        return perm;
    }

    /** Entropy {@code -sum P log P} of the plan (0 for a permutation of mass 1: {@code log n} for mass 1/n each). */
    public double entropy() {
        stats();
        return entropy;
    }

    /** L1 distance of the plan's marginals from the uniform ones. */
    public double marginalError() {
        stats();
        return marginalError;
    }

    /** Row sums, column sums, entropy and marginal error in one pass over the plan. */
    private synchronized void stats() {
        if (rowSums != null) return;
        double[] rs = new double[n], cs = new double[m];
        double h = 0;
        if (rowStart != null) {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int e = rowStart[i]; e < rowStart[i + 1]; e++) {
                    double x = mass[e];
                    s += x;
                    cs[cols[e]] += x;
                    if (x > 0) h -= x * Math.log(x);
                }
                rs[i] = s;
            }
        } else {
            int nb = (n + BLOCK - 1) / BLOCK;
            double[][] partCols = new double[nb][];
            double[] partH = new double[nb];
            blocks(nb, b -> {
                double[] pc = new double[m];
                double hb = 0;
                double[] sh = new double[2];
                for (int i = b * BLOCK, i1 = Math.min(n, (b + 1) * BLOCK); i < i1; i++) {
                    RowKernels.planRowStats(plan, i * m, m, pc, sh);
                    rs[i] = sh[0];
                    hb += sh[1];
                }
                partCols[b] = pc;
                partH[b] = hb;
            });
            for (int b = 0; b < nb; b++) {
                double[] pc = partCols[b];
                for (int j = 0; j < m; j++) cs[j] += pc[j];
                h += partH[b];
            }
        }
        double e = 0;
        for (int i = 0; i < n; i++) e += Math.abs(rs[i] - 1.0 / n);
        for (int j = 0; j < m; j++) e += Math.abs(cs[j] - 1.0 / m);
        colSums = cs;
        entropy = h;
        marginalError = e;
        rowSums = rs;
    }

    interface Block {
        void run(int b);
    }

    /** Runs {@code f} on every block index; blocks are independent, so the thread count does not change results. */
    static void blocks(int nb, Block f) {
        if (nb <= 2 || Runtime.getRuntime().availableProcessors() == 1) {
            for (int b = 0; b < nb; b++) f.run(b);
            return;
        }
        IntStream.range(0, nb).parallel().forEach(f::run);
    }

    /**
     * A normalised map as used to move tensor axes: dense row-major float, plus a sparse row list when
     * most entries are zero (hard alignments), so permutations cost O(size of the tensor). A map built from a
     * sparse plan has only the row list until its dense form is asked for.
     */
    public static final class Matrix {
        final int n, m;
        private float[] dense;
        final int[] rowStart, cols; // CSR, null when dense
        final float[] vals;
        /**
         * A scaled form of a large dense map: {@code M[i][j] = raw[i][j] * in[i] * out[j] * uniform} (a null vector is all
         * ones), where {@code raw} is the plan in float, shared by the map's forms. Moves multiply by {@code raw} and scale
         * the tensor before ({@code in}) or the result after ({@code out}, {@code uniform}), so the forms cost one matrix.
         */
        final double[] in, out;
        final double uniform;
        private final float[] raw;
        /** Block-structured dense forms (head-aware maps): rows of block b go only to columns of block {@code to[b]}. */
        int side;
        int[] to;

        private Matrix(int n, int m, float[] dense, int[] rowStart, int[] cols, float[] vals) {
            this.n = n;
            this.m = m;
            this.dense = dense;
            this.rowStart = rowStart;
            this.cols = cols;
            this.vals = vals;
            this.in = null;
            this.out = null;
            this.uniform = 1;
            this.raw = null;
        }

        private Matrix(float[] raw, int n, int m, double[] in, double[] out, double uniform) {
            this.n = n;
            this.m = m;
            this.raw = raw;
            this.in = in;
            this.out = out;
            this.uniform = uniform;
            this.rowStart = null;
            this.cols = null;
            this.vals = null;
        }

        static Matrix scaled(float[] raw, int n, int m, double[] in, double[] out, double uniform) {
            return new Matrix(raw, n, m, in, out, uniform);
        }

        /** Whether this is a scaled form: {@link #multiplicand()} is the shared raw plan and {@link #in}/{@link #out} apply. */
        boolean scaled() {
            return raw != null;
        }

        /** The dense float matrix a move multiplies by: the raw plan of a scaled form, else {@link #dense()}. */
        float[] multiplicand() {
            return raw != null ? raw : dense();
        }

        /** This dense form, marked as block-structured (see {@link TransportMap#withBlocks}). */
        private Matrix withBlocks(int side, int[] to) {
            this.side = side;
            this.to = to;
            return this;
        }

        /** Whether moves may go block by block: {@link #to} and {@link #side} describe every non-zero entry. */
        boolean blocked() {
            return to != null;
        }

        static Matrix sparse(int n, int m, int[] rowStart, int[] cols, float[] vals) {
            return new Matrix(n, m, null, rowStart, cols, vals);
        }

        /** A dense float matrix with {@code nnz} non-zero entries; also kept as a row list when sparse enough. */
        static Matrix of(float[] f, int n, int m, long nnz) {
            if (nnz > 2L * (n + m)) return new Matrix(n, m, f, null, null, null);
            int[] rs = new int[n + 1];
            int[] cs = new int[(int) nnz];
            float[] vs = new float[(int) nnz];
            int k = 0;
            for (int i = 0; i < n; i++) {
                rs[i] = k;
                for (int j = 0; j < m; j++) {
                    if (f[i * m + j] != 0) {
                        cs[k] = j;
                        vs[k++] = f[i * m + j];
                    }
                }
            }
            rs[n] = k;
            return new Matrix(n, m, f, rs, cs, vs);
        }

        public int n() {
            return n;
        }

        public int m() {
            return m;
        }

        /** The dense row-major float matrix (built on the first call for a sparse map). */
        synchronized float[] dense() {
            if (dense == null && raw != null) {
                // the normalised matrix itself (tests, small Java paths); moves use multiplicand() and the scales
                float[] d = new float[n * m];
                for (int i = 0; i < n; i++) {
                    double si = (in == null ? 1 : in[i]) * uniform;
                    for (int j = 0; j < m; j++) d[i * m + j] = (float) (raw[i * m + j] * si * (out == null ? 1 : out[j]));
                }
                dense = d;
            }
            if (dense == null) {
                float[] d = new float[n * m];
                for (int i = 0; i < n; i++) for (int e = rowStart[i]; e < rowStart[i + 1]; e++) d[i * m + cols[e]] = vals[e];
                dense = d;
            }
            return dense;
        }

        public boolean sparse() {
            return rowStart != null;
        }

        public float get(int i, int j) {
            return dense()[i * m + j];
        }
    }
}
