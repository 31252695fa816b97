package io.otfuse.ot;

import java.util.Arrays;

/**
 * A dense, rectangular {@code rows x cols} cost matrix stored row-major in a {@code double[]}.
 *
 * <p>Float input is widened to double once, as POT does ({@code M} is cast to float64). The array
 * passed to {@link #of(double[], int, int)} is used as is (not copied); solvers never modify it.
 */
public final class CostMatrix {
    private final int rows;
    private final int cols;
    private final double[] data;

    private CostMatrix(double[] data, int rows, int cols) {
        this(data, rows, cols, true);
    }

    private CostMatrix(double[] data, int rows, int cols, boolean check) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("cost matrix must be non-empty, got " + rows + "x" + cols);
        }
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("cost matrix " + rows + "x" + cols + " needs " + ((long) rows * cols)
                    + " entries, got " + data.length);
        }
        for (int k = 0; check && k < data.length; k++) {
            if (!Double.isFinite(data[k])) {
                throw new IllegalArgumentException("cost matrix entry (" + k / cols + ", " + k % cols + ") is " + data[k]
                        + "; costs must be finite");
            }
        }
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    /** Wraps a row-major array (no copy). */
    public static CostMatrix of(double[] rowMajor, int rows, int cols) {
        return new CostMatrix(rowMajor, rows, cols);
    }

    /**
     * Wraps a row-major array (no copy) whose entries the caller has already made sure are finite: they are not
     * checked again (a pass over the matrix that, run once per solve, is never compiled before it is over).
     */
    public static CostMatrix ofFinite(double[] rowMajor, int rows, int cols) {
        return new CostMatrix(rowMajor, rows, cols, false);
    }

    /** Widens a row-major float array to double. */
    public static CostMatrix of(float[] rowMajor, int rows, int cols) {
        double[] d = new double[rowMajor.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = rowMajor[i];
        }
        return new CostMatrix(d, rows, cols);
    }

    /** Copies a rectangular {@code double[][]}. */
    public static CostMatrix of(double[][] m) {
        int r = m.length;
        int c = r == 0 ? 0 : m[0].length;
        double[] d = new double[r * c];
        for (int i = 0; i < r; i++) {
            if (m[i].length != c) {
                throw new IllegalArgumentException("ragged cost matrix: row " + i + " has " + m[i].length + " entries, expected " + c);
            }
            System.arraycopy(m[i], 0, d, i * c, c);
        }
        return new CostMatrix(d, r, c);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public double get(int i, int j) {
        return data[i * cols + j];
    }

    /** The backing row-major array (not a copy; do not modify). */
    public double[] data() {
        return data;
    }

    /** Largest entry. */
    public double max() {
        double mx = Double.NEGATIVE_INFINITY;
        for (double x : data) {
            mx = Math.max(mx, x);
        }
        return mx;
    }

    /** Largest absolute entry. */
    public double maxAbs() {
        double mx = 0;
        for (double x : data) {
            mx = Math.max(mx, Math.abs(x));
        }
        return mx;
    }

    /** A new matrix {@code C / max(C)} (POT/OTFusion "max" normalisation). */
    public CostMatrix maxNormalised() {
        double mx = max();
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = data[i] / mx;
        }
        return new CostMatrix(d, rows, cols);
    }

    /** A new transposed matrix. */
    public CostMatrix transpose() {
        double[] t = new double[data.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = data[i * cols + j];
            }
        }
        return new CostMatrix(t, cols, rows);
    }

    /** Throws if any entry is NaN or infinite. */
    void requireFinite() {
        for (int k = 0; k < data.length; k++) {
            if (!Double.isFinite(data[k])) {
                throw new IllegalArgumentException("cost matrix entry (" + (k / cols) + "," + (k % cols) + ") is " + data[k]);
            }
        }
    }

    @Override
    public String toString() {
        return "CostMatrix[" + rows + "x" + cols + (data.length <= 16 ? ", " + Arrays.toString(data) : "") + "]";
    }
}
