package io.otfuse.fusion;

import java.util.Arrays;

/**
 * Cost matrices between neuron features (method.md §4): optional weight normalisation, Euclidean (squared or
 * not) or cosine distance, then normalisation (max, mean, median, log, none) and optional clipping.
 * Unlike the reference code every option works (its cosine/log/median/clip paths crash, quirk Q8).
 */
public final class GroundMetric {
    private GroundMetric() {}

    /**
     * Features of {@code rows} neurons, {@code dim} values each: row-major {@code [rows x dim]}, or, when {@code columns},
     * the neurons are the columns of a row-major {@code [dim x rows]} array (activations as they were recorded, samples by
     * neurons). {@code owned}: the array is this value's own (not a tensor's shared storage), so normalisation may
     * overwrite it.
     */
    public record Features(float[] x, int rows, int dim, boolean owned, boolean columns) {
        /** Features over an array that may be shared: never written. */
        public Features(float[] x, int rows, int dim) {
            this(x, rows, dim, false, false);
        }

        /** Row-major features. */
        public Features(float[] x, int rows, int dim, boolean owned) {
            this(x, rows, dim, owned, false);
        }

        /** Owned features whose neurons are the columns of the row-major {@code [dim x rows]} array x. */
        public static Features columns(float[] x, int rows, int dim) {
            return new Features(x, rows, dim, true, true);
        }

        /** The same features row-major: this when they are, else a transposed copy of their own. */
        public Features asRows() {
            return columns ? new Features(Dense.transpose(x, dim, rows), rows, dim, true, false) : this;
        }

        /** The parts side by side (each row the concatenation of the parts' rows); one part is returned as it is. */
        public static Features concat(java.util.List<Features> parts) {
            return parts.size() == 1 ? parts.get(0) : joined(parts, "none");
        }
    }

    /** Rows of several blocks of one stacked space, one above the other (same feature length). */
    public static Features stack(Features[] parts) {
        if (parts.length == 1) return parts[0];
        int rows = 0, dim = parts[0].dim();
        for (Features f : parts) {
            if (f.columns) throw new IllegalArgumentException("stacking needs row-major features");
            if (f.dim() != dim) throw new IllegalArgumentException("stacked blocks disagree on feature length");
            rows += f.rows();
        }
        float[] x = io.otfuse.ot.ArrayPool.floats(rows * dim); // every entry is written
        int off = 0;
        for (Features f : parts) {
            System.arraycopy(f.x(), 0, x, off, f.x().length);
            off += f.x().length;
        }
        return new Features(x, rows, dim, true);
    }

    /** Weight normalisation of one feature block (method.md §4 step 1, plus {@code rms}); in place when the features own their array. */
    public static Features normaliseWeights(Features f, String mode) {
        if (mode.equals("none")) return f;
        if (f.columns) throw new IllegalArgumentException("weight normalisation needs row-major features");
        float[] x = f.owned ? f.x : io.otfuse.ot.ArrayPool.floats(f.x.length); // every entry is written
        scaled(f, mode, x, f.dim, 0);
        return new Features(x, f.rows, f.dim, true);
    }

    /**
     * The parts side by side, each normalised on its own ({@link #normaliseWeights}), written straight into the
     * concatenation (no normalised copy of each part).
     */
    public static Features normaliseAndConcat(java.util.List<Features> parts, String mode) {
        return parts.size() == 1 ? normaliseWeights(parts.get(0), mode) : joined(parts, mode);
    }

    /** The parts side by side in a new array, each written by {@link #scaled}. */
    private static Features joined(java.util.List<Features> parts, String mode) {
        int rows = parts.get(0).rows, dim = 0;
        for (Features f : parts) {
            if (f.columns) throw new IllegalArgumentException("joining needs row-major features");
            if (f.rows != rows) throw new IllegalArgumentException("feature blocks disagree on rows");
            dim += f.dim;
        }
        float[] x = io.otfuse.ot.ArrayPool.floats(rows * dim); // every entry is written
        int off = 0;
        for (Features f : parts) {
            scaled(f, mode, x, dim, off);
            off += f.dim;
        }
        return new Features(x, rows, dim, true);
    }

    /** Writes {@code f} normalised by {@code mode} into {@code out}: row r at {@code r * outDim + off}. */
    private static void scaled(Features f, String mode, float[] out, int outDim, int off) {
        float[] in = f.x;
        int d = f.dim;
        switch (mode) {
            case "none" -> {
                for (int r = 0; r < f.rows; r++) System.arraycopy(in, r * d, out, r * outDim + off, d);
            }
            case "row-l2" -> {
                for (int r = 0; r < f.rows; r++) {
                    RowKernels.scaleInto(in, r * d, d, 1 / (Math.sqrt(RowKernels.sumSquares(in, r * d, d)) + 1e-9), out, r * outDim + off);
                }
            }
            case "max", "abs-max" -> {
                boolean abs = mode.equals("abs-max");
                double mx = Double.NEGATIVE_INFINITY;
                for (float v : in) mx = Math.max(mx, abs ? Math.abs(v) : v);
                scaleRows(f, 1 / (mx + 1e-9), out, outDim, off);
            }
            case "rms" -> scaleRows(f, 1 / (Math.sqrt(RowKernels.sumSquares(in, 0, in.length) / Math.max(1, in.length)) + 1e-9), out, outDim, off);
            default -> throw new IllegalArgumentException("weight norm " + mode);
        }
    }

    private static void scaleRows(Features f, double s, float[] out, int outDim, int off) {
        if (outDim == f.dim && off == 0) {
            RowKernels.scaleInto(f.x, 0, f.x.length, s, out, 0);
            return;
        }
        for (int r = 0; r < f.rows; r++) RowKernels.scaleInto(f.x, r * f.dim, f.dim, s, out, r * outDim + off);
    }

    /** Distances between the rows of X (model k) and Y (anchor), {@code n x m} row-major. */
    public static double[] distance(Features a, Features b, String metric) {
        return distance(a, b, metric, null, null);
    }

    /**
     * {@link #distance}, written into {@code reuse} when it has exactly {@code n * m} entries (every entry is overwritten).
     * When {@code max} is given, {@code max[0]} is set to the largest distance (NaN if any is NaN), or left as it is
     * when this path does not track it.
     */
    static double[] distance(Features a, Features b, String metric, double[] reuse, double[] max) {
        if (a.dim != b.dim) throw new IllegalArgumentException("features have " + a.dim + " and " + b.dim + " values");
        int n = a.rows, m = b.rows, d = a.dim;
        boolean gemm = !metric.equals("cosine") && (long) n * m * d > 20_000_000L;
        if (!gemm && (a.columns || b.columns)) return distance(a.asRows(), b.asRows(), metric, reuse, max); // small: row by row
        double[] na = squaredNorms(a), nb = squaredNorms(b);
        double[] out = reuse != null && reuse.length == n * m ? reuse : io.otfuse.ot.ArrayPool.doubles(n * m); // every entry is written
        if (gemm) {
            // large problems: |x|^2 + |y|^2 - 2 x.y with a float GEMM (tiny rounding, clamped at 0); either layout is read in place
            float[] g = Dense.product(a.x, a.columns, b.x, !b.columns, n, d, m, null); // large: from ArrayPool
            boolean squared = metric.equals("sq-euclidean");
            double[] rowMax = new double[n];
            Transport.parallel(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) rowMax[i] = RowKernels.distanceRow(g, na[i], nb, out, i * m, m, squared);
            });
            io.otfuse.ot.ArrayPool.give(g); // the next large product or plan of this size is written into it
            if (max != null) {
                double mx = 0;
                for (double r : rowMax) mx = r > mx || r != r ? r : mx;
                max[0] = mx;
            }
            return out;
        }
        Transport.parallel(n, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int ai = i * d;
                for (int j = 0; j < m; j++) {
                    int bj = j * d;
                    double dot = 0, sq = 0;
                    if (metric.equals("cosine")) {
                        for (int c = 0; c < d; c++) dot += (double) a.x[ai + c] * b.x[bj + c];
                        double den = Math.sqrt(na[i]) * Math.sqrt(nb[j]);
                        out[i * m + j] = Math.max(0, 1 - (den > 0 ? dot / den : 0));
                    } else {
                        // direct differences: exact zero for identical rows (permutation recovery relies on it)
                        for (int c = 0; c < d; c++) {
                            double t = (double) a.x[ai + c] - b.x[bj + c];
                            sq += t * t;
                        }
                        out[i * m + j] = metric.equals("sq-euclidean") ? sq : Math.sqrt(sq);
                    }
                }
            }
        });
        return out;
    }

    /** Each neuron's sum of squared features. */
    private static double[] squaredNorms(Features f) {
        double[] s = new double[f.rows];
        if (!f.columns) {
            for (int i = 0; i < f.rows; i++) s[i] = RowKernels.sumSquares(f.x, i * f.dim, f.dim);
            return s;
        }
        for (int c = 0; c < f.dim; c++) RowKernels.addSquaredColumns(f.x, c * f.rows, f.rows, null, s);
        return s;
    }

    /**
     * PCA of activations (method.md §10.6): the features of model k ({@code x}) and of the anchor ({@code y}), each row
     * a neuron's values over the same R samples, projected onto the anchor's {@code k} leading principal directions in
     * sample space (the left singular vectors of its activations, each neuron centred over the samples). These
     * directions are orthogonal to the all-ones vector, so subtracting any per-neuron constant first (the reference
     * subtracts the anchor's neuron means) does not change the result. Fewer directions are kept when the anchor's
     * centred activations have lower rank; with {@code k >= R} the features are returned unchanged (a rotation of the
     * whole sample space leaves every distance as it is). Returns {x', y'} and, in {@code used[0]}, the number of
     * directions kept (R when unchanged; 0 when the anchor's activations are constant or not all finite, which leaves
     * the features unchanged).
     */
    static Features[] pca(Features x, Features y, int k, int[] used) {
        if (k < 1) throw new IllegalArgumentException("pca needs k >= 1, got " + k);
        x = x.asRows();
        y = y.asRows();
        if (x.dim != y.dim) throw new IllegalArgumentException("features have " + x.dim + " and " + y.dim + " values");
        int r = y.dim, m = y.rows;
        if (k >= r) {
            used[0] = r;
            return new Features[] {x, y};
        }
        // the anchor's neurons centred over the samples
        double[] yc = new double[m * r];
        for (int j = 0; j < m; j++) {
            double mean = 0;
            for (int c = 0; c < r; c++) mean += y.x[j * r + c];
            mean /= r;
            if (!Double.isFinite(mean)) return unchanged(x, y, used); // NaN/Inf activations (--allow-nonfinite): costs handle them
            for (int c = 0; c < r; c++) yc[j * r + c] = y.x[j * r + c] - mean;
        }
        // large problems take their products on the engine in float (the features are float anyway); small ones in double
        boolean engine = (long) m * r * Math.min(m, r) >= PCA_ENGINE_MACS;
        float[] ycf = engine ? toFloat(yc) : null;
        double[] p; // R x kept, row-major: the principal directions as columns
        int kept;
        if (r <= m) {
            // eigenvectors of the R x R sample-space scatter Yc^T Yc
            SymmetricEigen e = SymmetricEigen.of(scatter(yc, ycf, m, r, true), r);
            kept = rank(e.values, k, engine);
            if (kept == 0) return unchanged(x, y, used);
            p = new double[r * kept];
            for (int a = 0; a < r; a++) System.arraycopy(e.vectors, a * r, p, a * kept, kept);
        } else {
            // fewer neurons than samples: eigenvectors v of the m x m Yc Yc^T give the directions Yc^T v / sqrt(lambda)
            SymmetricEigen e = SymmetricEigen.of(scatter(yc, ycf, m, r, false), m);
            kept = rank(e.values, k, engine);
            if (kept == 0) return unchanged(x, y, used);
            double[] vs = new double[m * kept]; // the kept eigenvectors, each divided by sqrt(lambda)
            for (int j = 0; j < m; j++) {
                for (int col = 0; col < kept; col++) vs[j * kept + col] = e.vectors[j * m + col] / Math.sqrt(e.values[col]);
            }
            if (engine) {
                p = toDouble(Dense.product(ycf, true, toFloat(vs), false, r, m, kept));
            } else {
                p = new double[r * kept];
                for (int j = 0; j < m; j++) {
                    for (int col = 0; col < kept; col++) {
                        double v = vs[j * kept + col];
                        if (v == 0) continue;
                        for (int c = 0; c < r; c++) p[c * kept + col] += v * yc[j * r + c];
                    }
                }
            }
        }
        used[0] = kept;
        if (engine) {
            float[] pf = toFloat(p);
            return new Features[] {new Features(Dense.product(x.x, false, pf, false, x.rows, r, kept), x.rows, kept, true),
                new Features(Dense.product(y.x, false, pf, false, m, r, kept), m, kept, true)};
        }
        return new Features[] {project(x, p, kept), project(y, p, kept)};
    }

    /**
     * The scatter of the centred [m x R] matrix Yc: Yc^T Yc (R x R) over the samples when {@code sampleSide}, else
     * Yc Yc^T (m x m). On the engine from {@code ycf} (its float copy) when that is given, else in double, lower
     * triangle only (all that {@link SymmetricEigen} reads).
     */
    private static double[] scatter(double[] yc, float[] ycf, int m, int r, boolean sampleSide) {
        if (ycf != null) {
            return toDouble(sampleSide ? Dense.product(ycf, true, ycf, false, r, m, r) : Dense.product(ycf, false, ycf, true, m, r, m));
        }
        if (sampleSide) {
            double[] g = new double[r * r];
            for (int j = 0; j < m; j++) {
                int o = j * r;
                for (int a = 0; a < r; a++) {
                    double va = yc[o + a];
                    if (va == 0) continue;
                    for (int b = 0; b <= a; b++) g[a * r + b] += va * yc[o + b];
                }
            }
            return g;
        }
        double[] h = new double[m * m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b <= a; b++) {
                double dot = 0;
                for (int c = 0; c < r; c++) dot += yc[a * r + c] * yc[b * r + c];
                h[a * m + b] = dot;
            }
        }
        return h;
    }

    /** Products of the PCA above this many multiply-adds go to the engine in float (tests lower it to reach that path). */
    static long PCA_ENGINE_MACS = 50_000_000L;

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /**
     * How many of the leading eigenvalues (largest first) to keep: at most k, and only those clearly above the rounding
     * of the scatter they come from (summed in double, or in float on the engine).
     */
    private static int rank(double[] values, int k, boolean floatScatter) {
        double tol = Math.max(values.length > 0 ? values[0] : 0, 0) * values.length * (floatScatter ? 1e-6 : 1e-12);
        int kept = 0;
        while (kept < Math.min(k, values.length) && values[kept] > tol) kept++;
        return kept;
    }

    /** No principal direction to project on (constant or non-finite anchor activations): the features as they are. */
    private static Features[] unchanged(Features x, Features y, int[] used) {
        used[0] = 0;
        return new Features[] {x, y};
    }

    /** Rows of f times the R x kept matrix p, in double, as float features. */
    private static Features project(Features f, double[] p, int kept) {
        int n = f.rows, r = f.dim;
        float[] out = new float[n * kept];
        Transport.parallel(n, (lo, hi) -> {
            double[] acc = new double[kept];
            for (int i = lo; i < hi; i++) {
                java.util.Arrays.fill(acc, 0);
                for (int c = 0; c < r; c++) {
                    double v = f.x[i * r + c];
                    if (v == 0) continue;
                    int o = c * kept;
                    for (int q = 0; q < kept; q++) acc[q] += v * p[o + q];
                }
                for (int q = 0; q < kept; q++) out[i * kept + q] = (float) acc[q];
            }
        });
        return new Features(out, n, kept, true);
    }

    /** Cost normalisation (method.md §4 step 4) and clipping (step 5). */
    public static double[] normaliseCost(double[] c, String mode, double[] clip, double clipReg) {
        return normaliseCostInPlace(c.clone(), mode, clip, clipReg);
    }

    /** {@link #normaliseCost} overwriting {@code r}; returns it. */
    static double[] normaliseCostInPlace(double[] r, String mode, double[] clip, double clipReg) {
        return normaliseCostInPlace(r, mode, clip, clipReg, Double.NaN);
    }

    /** {@link #normaliseCostInPlace}, with the largest entry of {@code r} when it is already known (NaN: not known). */
    static double[] normaliseCostInPlace(double[] r, String mode, double[] clip, double clipReg, double knownMax) {
        switch (mode) {
            case "none" -> { }
            case "max" -> scale(r, Double.isNaN(knownMax) ? max(r) : knownMax);
            case "mean" -> scale(r, Arrays.stream(r).average().orElse(1));
            case "median" -> {
                double[] s = r.clone();
                Arrays.sort(s);
                double med = s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
                scale(r, med);
            }
            case "log" -> {
                for (int i = 0; i < r.length; i++) r[i] = Math.log1p(r[i]);
            }
            default -> throw new IllegalArgumentException("cost norm " + mode);
        }
        if (clip != null) {
            double lo = clipReg * clip[0], hi = clipReg * clip[1];
            for (int i = 0; i < r.length; i++) r[i] = Math.min(hi, Math.max(lo, r[i]));
        }
        return r;
    }

    private static double max(double[] r) {
        double mx = 0;
        for (double v : r) mx = Math.max(mx, v);
        return mx;
    }

    private static void scale(double[] r, double by) {
        if (!(by > 0)) return; // all-zero cost: nothing to normalise
        for (int i = 0; i < r.length; i++) r[i] /= by;
    }
}
