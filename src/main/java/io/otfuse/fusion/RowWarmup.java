package io.otfuse.fusion;

import io.otfuse.ot.JitWarmup;

/**
 * The kernels of {@link RowVectorKernels} as {@link JitWarmup} kernels. Their twins are {@link RowKernels}' own loops,
 * which compute the same bits (element-wise operations in the same order; {@code sumSquares} and {@code planRowStats}
 * through lane-wise twins). Loaded only when {@link RowKernels#VECTOR} is on. Bounds: 10 ns an element (20 for
 * {@code planRowStats}, which takes a logarithm per entry); compiled, these kernels take 0.1-3 ns an element, in the
 * fallback or C1 50 ns or more.
 */
final class RowWarmup {
    private RowWarmup() {}

    private static final int LANES = RowVectorKernels.lanes();
    private static final int M = 4 * LANES + 3; // whole vectors and a tail: cheap calls while they run slow
    private static final int CALLS = 64;
    private static final double[] PLAN = new double[M];
    private static final double[] COLS = new double[M];
    private static final double[] OUT = new double[M];
    private static final double[] TWO = new double[2];
    private static final int[] NNZ = new int[1];
    /** Calls so far, to alternate the kernels' modes (only the warm-up thread runs the batches). */
    private static int turn;
    private static final float[] X = new float[M];
    private static final float[] Y = new float[M];
    private static final double[] SHIFT = new double[M];
    private static final double[] SCALE = new double[M];

    static {
        java.util.Random r = new java.util.Random(1);
        for (int j = 0; j < M; j++) {
            PLAN[j] = j % 7 == 0 ? 0 : r.nextDouble() / M;
            X[j] = (float) r.nextGaussian();
            SHIFT[j] = r.nextGaussian();
            SCALE[j] = 0.5 + r.nextDouble();
        }
    }

    private static JitWarmup.Kernel kernel(String name, double bound, Runnable call) {
        return new JitWarmup.Kernel(name, bound, (long) CALLS * M, () -> {
            for (int q = 0; q < CALLS; q++) call.run();
        });
    }

    static final JitWarmup.Kernel PLAN_ROW_STATS = kernel("planRowStats", 8.0, () -> RowVectorKernels.planRowStats(PLAN, 0, M, COLS, TWO));
    static final JitWarmup.Kernel DISTANCE_ROW = kernel("distanceRow", 4.0, () -> RowVectorKernels.distanceRow(X, 3.0, SCALE, OUT, 0, M, (turn++ & 1) == 0));
    static final JitWarmup.Kernel NORMALISED_ROW = kernel("normalisedRow", 4.0,
            () -> RowVectorKernels.normalisedRow(PLAN, 0, M, 2.0, (turn++ & 1) == 0 ? null : SCALE, Y, NNZ));
    static final JitWarmup.Kernel SUM_SQUARES = kernel("sumSquares", 4.0, () -> RowVectorKernels.sumSquares(X, 0, M));
    static final JitWarmup.Kernel SCALE_INTO = kernel("scaleInto", 4.0, () -> RowVectorKernels.scaleInto(X, 0, M, 0.5, Y, 0));
    static final JitWarmup.Kernel ADD_COLUMNS = kernel("addColumns", 4.0, () -> RowVectorKernels.addColumns(X, 0, M, COLS));
    static final JitWarmup.Kernel ADD_SQUARED_COLUMNS = kernel("addSquaredColumns", 4.0,
            () -> RowVectorKernels.addSquaredColumns(X, 0, M, (turn++ & 1) == 0 ? null : SHIFT, COLS));
    static final JitWarmup.Kernel STANDARDISE_COLUMNS = kernel("standardiseColumns", 4.0,
            () -> RowVectorKernels.standardiseColumns(X, 0, M, SHIFT, SCALE, Y, 0));

    /** Queues the kernels every fusion uses, and those of activation features when {@code activations}. */
    static void start(boolean activations) {
        JitWarmup.start(DISTANCE_ROW, SUM_SQUARES, PLAN_ROW_STATS, NORMALISED_ROW, SCALE_INTO);
        if (activations) JitWarmup.start(ADD_COLUMNS, ADD_SQUARED_COLUMNS, STANDARDISE_COLUMNS);
    }
}
