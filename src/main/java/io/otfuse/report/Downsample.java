package io.otfuse.report;

/**
 * Block averages of large matrices (transport maps of up to 3072 x 3072 and more), so that a heatmap stays small.
 * Rows are grouped in blocks of {@code ceil(rows / maxSide)} consecutive rows (the last block may be shorter),
 * columns likewise; each output cell is the mean of its block.
 */
public final class Downsample {
    private Downsample() {}

    /** The block length that brings {@code n} down to at most {@code maxSide}. */
    public static int block(int n, int maxSide) {
        if (maxSide < 1) throw new IllegalArgumentException("maxSide must be >= 1, got " + maxSide);
        return Math.max(1, (n + maxSide - 1) / maxSide);
    }

    /** Number of blocks of length {@code block} covering {@code n}. */
    public static int blocks(int n, int block) {
        return (n + block - 1) / block;
    }

    /** Block means of a rectangular matrix; the matrix itself (copied) when it already fits. */
    public static double[][] blockMean(double[][] m, int maxSide) {
        int rows = m.length;
        if (rows == 0) return new double[0][0];
        int cols = m[0].length;
        for (double[] r : m) {
            if (r.length != cols) throw new IllegalArgumentException("ragged matrix: rows of " + cols + " and " + r.length);
        }
        int br = block(rows, maxSide), bc = block(cols, maxSide);
        int or = blocks(rows, br), oc = blocks(cols, bc);
        double[][] out = new double[or][oc];
        for (int i = 0; i < rows; i++) {
            double[] src = m[i], dst = out[i / br];
            for (int j = 0; j < cols; j++) dst[j / bc] += src[j];
        }
        divide(out, rows, cols, br, bc);
        return out;
    }

    /** Block means of a row-major {@code rows x cols} matrix (a transport plan as the fusion engine holds it). */
    public static double[][] blockMean(double[] flat, int rows, int cols, int maxSide) {
        if ((long) rows * cols != flat.length) throw new IllegalArgumentException("matrix of " + flat.length + " values is not " + rows + " x " + cols);
        if (rows == 0 || cols == 0) return new double[0][0];
        int br = block(rows, maxSide), bc = block(cols, maxSide);
        int or = blocks(rows, br), oc = blocks(cols, bc);
        double[][] out = new double[or][oc];
        for (int i = 0; i < rows; i++) {
            double[] dst = out[i / br];
            int base = i * cols;
            for (int j = 0; j < cols; j++) dst[j / bc] += flat[base + j];
        }
        divide(out, rows, cols, br, bc);
        return out;
    }

    private static void divide(double[][] out, int rows, int cols, int br, int bc) {
        for (int I = 0; I < out.length; I++) {
            int nr = Math.min(br, rows - I * br);
            for (int J = 0; J < out[I].length; J++) {
                int nc = Math.min(bc, cols - J * bc);
                out[I][J] /= (double) nr * nc;
            }
        }
    }
}
