package io.otfuse.ot;

/**
 * The float-row Sinkhorn kernels of {@link VectorKernels} as {@link JitWarmup} kernels; their twins are in
 * {@link LaneKernels}. Loaded only when {@link Kernels#vector()} is on. Bounds: compiled, the kernels took 0.2-0.7
 * ({@code dot4}, {@code axpy4}), 1.6-2.6 ({@code planRowFloat}) and 1.7-4 ({@code expRow}) ns an element on the
 * development machine; in the fallback or C1, 25 to 25 000 ns.
 */
final class KernelWarmup {
    private KernelWarmup() {
    }

    private static final int LANES = VectorKernels.lanes();
    private static final int M = 4 * LANES + 3; // whole vectors and a tail: cheap calls while they run slow
    private static final int CALLS = 64;
    private static final float[][] K = new float[4][M];
    private static final double[] V = new double[M];
    private static final double[] C = new double[M];
    private static final double[] ROW = new double[M];
    private static final double[] ACC = new double[M];
    private static final float[] PLAN = new float[M];
    private static final double[] OUT = new double[4];
    private static final double[] T = new double[LANES];

    static {
        java.util.Random r = new java.util.Random(1);
        for (float[] row : K) for (int j = 0; j < M; j++) row[j] = r.nextFloat();
        for (int j = 0; j < M; j++) {
            V[j] = r.nextDouble();
            C[j] = r.nextDouble();
        }
    }

    static final JitWarmup.Kernel EXP_ROW = new JitWarmup.Kernel("expRow", 10.0, (long) CALLS * M, () -> {
        for (int q = 0; q < CALLS; q++) VectorKernels.expRow(C, 0, -3.0, M, ROW);
    });
    static final JitWarmup.Kernel DOT4 = new JitWarmup.Kernel("dot4", 3.0, 4L * CALLS * M, () -> {
        for (int q = 0; q < CALLS; q++) VectorKernels.dot4(K, 0, V, M, OUT, 0, T);
    });
    static final JitWarmup.Kernel AXPY4 = new JitWarmup.Kernel("axpy4", 3.0, 4L * CALLS * M, () -> {
        java.util.Arrays.fill(ACC, 0.0);
        for (int q = 0; q < CALLS; q++) VectorKernels.axpy4(K, 0, V, M, ACC);
    });
    static final JitWarmup.Kernel PLAN_ROW_FLOAT = new JitWarmup.Kernel("planRowFloat", 8.0, (long) CALLS * M, () -> {
        java.util.Arrays.fill(ACC, 0.0);
        for (int q = 0; q < CALLS; q++) VectorKernels.planRowFloat(0.5, K[q & 3], V, C, 0, PLAN, M, ACC, OUT, T);
    });

    static void start() {
        JitWarmup.start(EXP_ROW, DOT4, AXPY4, PLAN_ROW_FLOAT);
    }
}
