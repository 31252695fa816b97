package io.otfuse.fusion;

/**
 * Per-row passes over large plans and cost matrices: SIMD ({@link RowVectorKernels}, {@code jdk.incubator.vector})
 * when the module is enabled on x86-64, plain loops otherwise ({@code -Dotfuse.fusion.vector=false} forces those).
 * Both give the same results up to rounding: they feed reports (entropy) and costs, never the order of a sum that
 * another thread count could change. With the module, the plain loops (and, for the two lane-wise sums, the
 * {@code ...Lanes} twins) also stand in for each SIMD kernel until {@link RowWarmup} has seen it compiled; those give
 * the SIMD kernel's bits exactly, except the reported entropy's last bit.
 */
final class RowKernels {
    private RowKernels() {}

    static final boolean VECTOR = detect();

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("otfuse.fusion.vector", "true"))) return false;
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) return false;
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return false;
        try {
            return RowVectorKernels.usable();
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Row {@code base .. base + m} of a plan: adds its entries to {@code colAcc}; returns {@code {row sum, -sum p log p}}
     * in {@code out}.
     */
    static void planRowStats(double[] plan, int base, int m, double[] colAcc, double[] out) {
        out[0] = 0;
        out[1] = 0;
        int from = VECTOR ? RowWarmup.PLAN_ROW_STATS.ready() ? RowVectorKernels.planRowStats(plan, base, m, colAcc, out) : planRowStatsLanes(plan, base, m, colAcc, out) : 0;
        double s = out[0], h = out[1];
        for (int j = from; j < m; j++) {
            double x = plan[base + j];
            s += x;
            colAcc[j] += x;
            if (x > 0) h -= x * Math.log(x);
        }
        out[0] = s;
        out[1] = h;
    }

    /**
     * One row of Euclidean distances from a Gram row: {@code out[base + j] = sqrt(max(0, ni + nb[j] - 2 g[base + j]))}
     * (without the root when {@code squared}). Returns the row's largest value (NaN if any is NaN).
     */
    static double distanceRow(float[] g, double ni, double[] nb, double[] out, int base, int m, boolean squared) {
        if (VECTOR && RowWarmup.DISTANCE_ROW.ready()) return RowVectorKernels.distanceRow(g, ni, nb, out, base, m, squared);
        double mx = 0;
        for (int j = 0; j < m; j++) {
            double sq = Math.max(0, ni + nb[j] - 2.0 * g[base + j]);
            double d = squared ? sq : Math.sqrt(sq);
            out[base + j] = d;
            mx = d != d || mx != mx ? Double.NaN : Math.max(mx, d); // NaN sticks; every entry is written
        }
        return mx;
    }

    /**
     * One row of a normalised map: {@code out[base + j] = (float) (plan[base + j] * scale)}, or, when {@code colSums} is
     * given, {@code plan[base + j] / colSums[j]} (0 where that sum is not positive). Returns the row's non-zero plan entries.
     */
    static int normalisedRow(double[] plan, int base, int m, double scale, double[] colSums, float[] out) {
        int[] nnzVec = {0};
        int from = VECTOR && RowWarmup.NORMALISED_ROW.ready() ? RowVectorKernels.normalisedRow(plan, base, m, scale, colSums, out, nnzVec) : 0;
        int nnz = nnzVec[0];
        for (int j = from; j < m; j++) {
            double p = plan[base + j];
            if (p == 0) {
                out[base + j] = 0f; // out may come from ArrayPool: every entry is written
                continue;
            }
            nnz++;
            out[base + j] = colSums == null ? (float) (p * scale) : colSums[j] > 0 ? (float) (p / colSums[j]) : 0f;
        }
        return nnz;
    }

    /**
     * The twin of {@link RowVectorKernels#planRowStats}: the same lane-wise sums, added in lane order; the entropy terms
     * use {@code Math.log}, which may differ in its last bit from the compiled vector logarithm (the entropy is reported,
     * not used).
     */
    private static int planRowStatsLanes(double[] plan, int base, int m, double[] colAcc, double[] out) {
        int lanes = RowVectorKernels.lanes(), ub = m & -lanes;
        double[] s = new double[lanes], h = new double[lanes];
        for (int j = 0; j < ub; j += lanes) {
            for (int l = 0; l < lanes; l++) {
                double x = plan[base + j + l];
                s[l] = s[l] + x;
                colAcc[j + l] = x + colAcc[j + l];
                if (x > 0) h[l] = h[l] - x * Math.log(x);
            }
        }
        out[0] = laneSum(s);
        out[1] = laneSum(h);
        return ub;
    }

    /** The twin of {@link RowVectorKernels#sumSquares}: the same lane-wise fused multiply-adds, added in lane order. */
    private static double sumSquaresLanes(float[] x, int from, int len) {
        int lanes = RowVectorKernels.lanes(), ub = from + (len & -lanes), i = from;
        double[] a = new double[lanes];
        for (; i < ub; i += lanes) {
            for (int l = 0; l < lanes; l++) a[l] = Math.fma(x[i + l], x[i + l], a[l]);
        }
        double s = laneSum(a);
        for (; i < from + len; i++) s += (double) x[i] * x[i];
        return s;
    }

    /** The lanes {@code t} added in lane order (shared with {@link RowVectorKernels}, so both sum alike). */
    static double laneSum(double[] t) {
        double r = t[0];
        for (int l = 1; l < t.length; l++) r += t[l];
        return r;
    }

    /** Starts compiling the SIMD kernels (see {@link RowWarmup}), with those of activation features when {@code activations}. */
    static void warmUp(boolean activations) {
        if (VECTOR) RowWarmup.start(activations);
    }

    /** {@code sum x[i]^2} over {@code x[from .. from + len)}, accumulated in double. */
    static double sumSquares(float[] x, int from, int len) {
        if (VECTOR) return RowWarmup.SUM_SQUARES.ready() ? RowVectorKernels.sumSquares(x, from, len) : sumSquaresLanes(x, from, len);
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) x[i] * x[i];
        return s;
    }

    /** {@code out[to + i] = (float) (x[from + i] * scale)} for {@code i < len} (the product taken in double; {@code out} may be {@code x}). */
    static void scaleInto(float[] x, int from, int len, double scale, float[] out, int to) {
        if (VECTOR && RowWarmup.SCALE_INTO.ready()) {
            RowVectorKernels.scaleInto(x, from, len, scale, out, to);
            return;
        }
        for (int i = 0; i < len; i++) out[to + i] = (float) (x[from + i] * scale);
    }

    /** {@code sum[j] += x[from + j]} for {@code j < w} (one sample's values added to each neuron's sum, in double). */
    static void addColumns(float[] x, int from, int w, double[] sum) {
        int j = VECTOR && RowWarmup.ADD_COLUMNS.ready() ? RowVectorKernels.addColumns(x, from, w, sum) : 0;
        for (; j < w; j++) sum[j] += x[from + j];
    }

    /** {@code sq[j] += (x[from + j] - shift[j])^2} for {@code j < w}, in double; no shift when {@code shift} is null. */
    static void addSquaredColumns(float[] x, int from, int w, double[] shift, double[] sq) {
        int j = VECTOR && RowWarmup.ADD_SQUARED_COLUMNS.ready() ? RowVectorKernels.addSquaredColumns(x, from, w, shift, sq) : 0;
        for (; j < w; j++) {
            double v = shift == null ? x[from + j] : x[from + j] - shift[j];
            sq[j] += v * v;
        }
    }

    /** {@code out[to + j] = (float) ((x[from + j] - shift[j]) / scale[j])} for {@code j < w}, in double. */
    static void standardiseColumns(float[] x, int from, int w, double[] shift, double[] scale, float[] out, int to) {
        int j = VECTOR && RowWarmup.STANDARDISE_COLUMNS.ready() ? RowVectorKernels.standardiseColumns(x, from, w, shift, scale, out, to) : 0;
        for (; j < w; j++) out[to + j] = (float) ((x[from + j] - shift[j]) / scale[j]);
    }

    /** {@code y[from + i] = (float) (x[from + i] * (s[i] * u))} for {@code i < len} ({@code y} may be {@code x}). */
    static void multiplyInto(float[] x, int from, double[] s, double u, float[] y, int len) {
        for (int i = 0; i < len; i++) y[from + i] = (float) (x[from + i] * (s[i] * u));
    }

    /** {@code acc[i] += w * x[i]} over all of {@code acc}. */
    static void addScaled(float[] acc, float[] x, float w) {
        for (int i = 0; i < acc.length; i++) acc[i] += w * x[i];
    }

    /**
     * {@code out[r * m + j] = sum_i x[r * n + i] * mat[i * m + j]} for the {@code rows} rows of x (a few vectors times an
     * {@code n x m} matrix; {@code out} zeroed), on all threads by column blocks, each block of every row summed in the
     * order of i.
     */
    static float[] rowsTimesMatrix(float[] x, int rows, float[] mat, int n, int m, float[] out) {
        int block = 1024;
        int blocks = (m + block - 1) / block;
        java.util.function.IntConsumer f = b -> {
            int j0 = b * block, j1 = Math.min(m, j0 + block);
            for (int r = 0; r < rows; r++) {
                int o = r * m;
                for (int i = 0; i < n; i++) {
                    float xi = x[r * n + i];
                    if (xi == 0) continue;
                    int base = i * m;
                    for (int j = j0; j < j1; j++) out[o + j] += xi * mat[base + j];
                }
            }
        };
        if (blocks > 1 && (long) rows * n * m >= 1 << 20) java.util.stream.IntStream.range(0, blocks).parallel().forEach(f);
        else for (int b = 0; b < blocks; b++) f.accept(b);
        return out;
    }
}
