package io.otfuse.ot;

/**
 * Blocked, deterministic dense kernels shared by the Sinkhorn solvers. The working kernel is held as
 * one array per row ({@code double[n][m]}): with every array starting at offset 0, HotSpot's C2
 * auto-vectorises the column-sum updates (it does not when rows are slices of one flat array at
 * arbitrary offsets). Partial column sums are kept per fixed block of {@link Par#BLOCK_ROWS} rows and
 * added in block order, so results do not depend on the number of threads.
 */
final class Kernels {
    /**
     * Whether the SIMD kernels of {@link VectorKernels} can be used: the JVM was started with
     * {@code --add-modules jdk.incubator.vector} (the module is in the boot layer), the machine is x86-64
     * (where HotSpot 17 intrinsifies the vector {@code exp}; elsewhere it would fall back to a slow
     * per-lane path) and the preferred vector holds at least four doubles. Decided once; system property
     * {@code otfuse.ot.vector=false} forces the scalar kernels.
     */
    static final boolean VECTOR_AVAILABLE = detectVector();

    /** The kernels in use: {@link #VECTOR_AVAILABLE}, switchable by tests (see {@link #useVector(boolean)}). */
    private static volatile boolean vector = VECTOR_AVAILABLE;

    private Kernels() {
    }

    private static boolean detectVector() {
        if (!Boolean.parseBoolean(System.getProperty("otfuse.ot.vector", "true"))) {
            return false;
        }
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return false;
        }
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return false;
        }
        try {
            return VectorKernels.usable();
        } catch (Throwable e) { // LinkageError etc.: keep the scalar kernels
            return false;
        }
    }

    /** Whether the SIMD kernels are in use. */
    static boolean vector() {
        return vector;
    }

    /** For tests: selects the SIMD ({@code true}, only if available) or scalar kernels; returns the previous choice. */
    static boolean useVector(boolean on) {
        boolean was = vector;
        vector = on && VECTOR_AVAILABLE;
        return was;
    }

    /** Kernels in use, for logs and benchmark headers. */
    static String describe() {
        return vector ? VectorKernels.describe() : "scalar (jdk.incubator.vector not enabled)";
    }

    /**
     * Threads worth using for the one-off passes (kernel, plan) over {@code n x m} doubles: small ones stay
     * on the caller, since waking an idle thread (an idle vCPU on a VM) can cost as much as the work
     * (and on a loaded machine the caller then waits for a worker that has not been scheduled yet).
     */
    static int threadsFor(int threads, int n, int m) {
        // the SIMD exp is ~5x cheaper than Math.exp, so those passes only pay off on threads from 2^20 entries
        return (long) n * m < (vector ? 1 << 20 : 1 << 18) ? 1 : threads;
    }

    /**
     * Threads for the per-iteration passes: below about a million entries a pass takes well under a
     * millisecond and waking a second thread costs more than it saves, so it stays on the caller.
     */
    static int passThreadsFor(int threads, int n, int m) {
        return (long) n * m < (1 << 20) ? 1 : threads;
    }

    /** Gibbs kernels of large problems are kept for the next solve of the same size (fusion solves dozens in a row). */
    private static final java.util.concurrent.atomic.AtomicReference<java.lang.ref.SoftReference<double[][]>> KERNEL_POOL =
            new java.util.concurrent.atomic.AtomicReference<>();
    private static final long POOL_MIN = 1L << 20;

    /** Rows for a Gibbs kernel of {@code n x m}: a pooled set when one of that size is free (every entry is overwritten by {@link #gibbs}). */
    static double[][] kernelRows(int n, int m) {
        double[][] k = (long) n * m >= POOL_MIN ? pooled(KERNEL_POOL) : null;
        return k != null && k.length == n && k[0] != null && k[0].length == m ? k : rows(n, m);
    }

    /** Takes what {@code pool} holds (null when empty or collected); the caller checks its size. */
    private static <T> T pooled(java.util.concurrent.atomic.AtomicReference<java.lang.ref.SoftReference<T>> pool) {
        java.lang.ref.SoftReference<T> ref = pool.getAndSet(null);
        return ref == null ? null : ref.get();
    }

    /** Hands a kernel from {@link #kernelRows} back once its solve is done. */
    static void releaseKernel(double[][] k, int n, int m) {
        if ((long) n * m >= POOL_MIN && k.length == n && k[0] != null) KERNEL_POOL.set(new java.lang.ref.SoftReference<>(k));
    }

    static double[][] rows(int n, int m) {
        double[][] k = new double[n][];
        for (int i = 0; i < n; i++) {
            k[i] = new double[m];
        }
        return k;
    }

    /**
     * {@code K = exp(C / -reg)} (as POT: {@code exp(M / (-reg))}) fused with the first column pass:
     * also sets {@code ktu = K^T u} (skipped when {@code u == null}).
     */
    static double[][] gibbs(double[] c, int n, int m, double reg, double[] u, double[] ktu, double[][] partial, int threads) {
        double[][] k = kernelRows(n, m);
        // multiplying by -1/reg instead of dividing by -reg (POT) changes K by at most |C/reg| ulp
        double inr = -1.0 / reg;
        int nb = Par.blocks(n);
        boolean simd = vector;
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                double[] acc = partial[bk];
                java.util.Arrays.fill(acc, 0.0);
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                if (simd) {
                    for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                        VectorKernels.gibbsRow(c, i * m, inr, k[i], m, u == null ? 0.0 : u[i], u == null ? null : acc);
                    }
                    continue;
                }
                for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                    int base = i * m;
                    double[] ki = k[i];
                    for (int j = 0; j < m; j++) {
                        ki[j] = Math.exp(c[base + j] * inr);
                    }
                    if (u != null) {
                        Par.axpy(u[i], ki, acc, m);
                    }
                }
            }
        });
        if (u != null) {
            reduceBlocks(partial, nb, m, ktu, threads);
        }
        return k;
    }

    interface RowScale {
        /** Given row index and {@code s = K_i . v}, returns the row's new scaling {@code u_i}. */
        double apply(int i, double s);
    }

    /**
     * One fused pass over K: for every row {@code u[i] = scale(i, K_i . v)} (skipped when {@code v == null}:
     * then u is used as given), and {@code ktu = K^T u}.
     */
    static void fusedPass(double[][] k, int n, int m, double[] v, double[] u, RowScale scale, double[] ktu, double[][] partial,
                          int threads) {
        int nb = Par.blocks(n);
        boolean simd = vector;
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                if (simd) {
                    passBlockVector(k, n, m, v, u, scale, partial[bk], bk);
                } else {
                    passBlock(k, n, m, v, u, scale, partial[bk], bk);
                }
            }
        });
        reduceBlocks(partial, nb, m, ktu, threads);
    }

    /**
     * One block of {@link #fusedPass}: rows are taken eight at a time, so {@code v} and the partial
     * column sums are read once per eight rows and the eight row dot products run as independent chains.
     */
    private static void passBlock(double[][] k, int n, int m, double[] v, double[] u, RowScale scale, double[] acc, int bk) {
        java.util.Arrays.fill(acc, 0.0);
        int r0 = bk * Par.BLOCK_ROWS;
        int r1 = Math.min(n, r0 + Par.BLOCK_ROWS);
        int i = r0;
        for (; i + 7 < r1; i += 8) {
            double[] k0 = k[i];
            double[] k1 = k[i + 1];
            double[] k2 = k[i + 2];
            double[] k3 = k[i + 3];
            double[] k4 = k[i + 4];
            double[] k5 = k[i + 5];
            double[] k6 = k[i + 6];
            double[] k7 = k[i + 7];
            if (v != null) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                double s4 = 0;
                double s5 = 0;
                double s6 = 0;
                double s7 = 0;
                for (int j = 0; j < m; j++) {
                    double vj = v[j];
                    s0 += k0[j] * vj;
                    s1 += k1[j] * vj;
                    s2 += k2[j] * vj;
                    s3 += k3[j] * vj;
                    s4 += k4[j] * vj;
                    s5 += k5[j] * vj;
                    s6 += k6[j] * vj;
                    s7 += k7[j] * vj;
                }
                u[i] = scale.apply(i, s0);
                u[i + 1] = scale.apply(i + 1, s1);
                u[i + 2] = scale.apply(i + 2, s2);
                u[i + 3] = scale.apply(i + 3, s3);
                u[i + 4] = scale.apply(i + 4, s4);
                u[i + 5] = scale.apply(i + 5, s5);
                u[i + 6] = scale.apply(i + 6, s6);
                u[i + 7] = scale.apply(i + 7, s7);
            }
            double u0 = u[i];
            double u1 = u[i + 1];
            double u2 = u[i + 2];
            double u3 = u[i + 3];
            double u4 = u[i + 4];
            double u5 = u[i + 5];
            double u6 = u[i + 6];
            double u7 = u[i + 7];
            for (int j = 0; j < m; j++) {
                acc[j] += ((u0 * k0[j] + u1 * k1[j]) + (u2 * k2[j] + u3 * k3[j])) + ((u4 * k4[j] + u5 * k5[j]) + (u6 * k6[j] + u7 * k7[j]));
            }
        }
        for (; i < r1; i++) {
            double ui;
            if (v != null) {
                ui = scale.apply(i, Par.dot(k[i], v, m));
                u[i] = ui;
            } else {
                ui = u[i];
            }
            Par.axpy(ui, k[i], acc, m);
        }
    }

    /** {@link #passBlock} on the SIMD kernels (same row grouping; FMA and lane-wise summation order). */
    private static void passBlockVector(double[][] k, int n, int m, double[] v, double[] u, RowScale scale, double[] acc, int bk) {
        java.util.Arrays.fill(acc, 0.0);
        int r0 = bk * Par.BLOCK_ROWS;
        int r1 = Math.min(n, r0 + Par.BLOCK_ROWS);
        double[] t = new double[VectorKernels.lanes()];
        double[] s = new double[8];
        int i = r0;
        for (; i + 7 < r1; i += 8) {
            if (v != null) {
                VectorKernels.dot8(k, i, v, m, s, t);
                for (int r = 0; r < 8; r++) {
                    u[i + r] = scale.apply(i + r, s[r]);
                }
            }
            VectorKernels.axpy8(k, i, u, m, acc);
        }
        for (; i < r1; i++) {
            double ui;
            if (v != null) {
                ui = scale.apply(i, VectorKernels.dot(k[i], v, m, t));
                u[i] = ui;
            } else {
                ui = u[i];
            }
            VectorKernels.axpy(ui, k[i], acc, m);
        }
    }

    /** {@code out[j] = sum_bk partial[bk][j]} in block order. */
    static void reduceBlocks(double[][] partial, int nb, int m, double[] out, int threads) {
        System.arraycopy(partial[0], 0, out, 0, m);
        for (int bk = 1; bk < nb; bk++) {
            double[] p = partial[bk];
            for (int j = 0; j < m; j++) {
                out[j] += p[j];
            }
        }
    }

    /**
     * Writes the plan {@code P_ij = (u_i K_ij) v_j} row-major into a new array and returns it with
     * {@code [<P, C>, sum_i |P_i 1 - a_i|]} in {@code out}; K's rows are released as they are consumed.
     */
    static double[] materialisePlan(double[][] k, double[] c, int n, int m, double[] u, double[] v, double[] a, int threads,
                                    double[] out) {
        double[] plan = new double[n * m];
        boolean simd = vector;
        planRows(n, a, threads, out, null, simd, (i, bk, ro, t) -> {
            if (simd) {
                VectorKernels.planRow(u[i], k[i], v, c, i * m, plan, m, ro, t);
            } else {
                planRow(u[i], k[i], v, c, i * m, plan, m, ro);
            }
        });
        return plan;
    }

    /** Writes plan row i (in block {@code bk} of rows) and returns its sum in {@code ro[0]}, {@code sum_j P_ij C_ij} in {@code ro[1]}. */
    interface PlanRow {
        void write(int i, int bk, double[] ro, double[] t);
    }

    /**
     * The pass that writes a plan, row by row through {@code row}, in fixed blocks of rows on the threads ({@code t} is
     * each thread's lane scratch when {@code simd}): per block the objective and the row-marginal error are summed in row
     * order, then the blocks in block order, into {@code out = [<P, C>, sum_i |P_i 1 - a_i|]}; each row's sum also goes
     * to {@code rowSums} when it is given.
     */
    private static void planRows(int n, double[] a, int threads, double[] out, double[] rowSums, boolean simd, PlanRow row) {
        int nb = Par.blocks(n);
        double[] obj = new double[nb];
        double[] rowErr = new double[nb];
        Par.forRange(threads, nb, (lo, hi) -> {
            double[] t = simd ? new double[2 * VectorKernels.lanes()] : null; // twice: LaneKernels.planRowFloat
            double[] ro = new double[2];
            for (int bk = lo; bk < hi; bk++) {
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                double so = 0;
                double se = 0;
                for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                    row.write(i, bk, ro, t);
                    if (rowSums != null) {
                        rowSums[i] = ro[0];
                    }
                    so += ro[1];
                    se += Math.abs(ro[0] - a[i]);
                }
                obj[bk] = so;
                rowErr[bk] = se;
            }
        });
        sumBlocks(obj, rowErr, nb, out);
    }

    /** The scalar plan row of a double kernel: {@code plan[base + j] = u_i K_ij v_j}, its sum and objective into {@code ro}. */
    private static void planRow(double ui, double[] ki, double[] v, double[] c, int base, double[] plan, int m, double[] ro) {
        double rs = 0;
        double o = 0;
        for (int j = 0; j < m; j++) {
            double pij = ui * ki[j] * v[j];
            plan[base + j] = pij;
            rs += pij;
            o += pij * c[base + j];
        }
        ro[0] = rs;
        ro[1] = o;
    }

    /** {@link #planRow(double, double[], double[], double[], int, double[], int, double[])} from a float row; {@code plan} may be {@code c}. */
    private static void planRow(double ui, float[] ki, double[] v, double[] c, int base, double[] plan, int m, double[] ro) {
        double rs = 0;
        double o = 0;
        for (int j = 0; j < m; j++) {
            double cij = c[base + j]; // read before the plan entry may overwrite it
            double pij = ui * ki[j] * v[j];
            plan[base + j] = pij;
            rs += pij;
            o += pij * cij;
        }
        ro[0] = rs;
        ro[1] = o;
    }

    /** {@code out = [sum obj, sum rowErr]} over the blocks, in block order (the plan passes' per-block partial sums). */
    private static void sumBlocks(double[] obj, double[] rowErr, int nb, double[] out) {
        double o = 0;
        double e = 0;
        for (int bk = 0; bk < nb; bk++) {
            o += obj[bk];
            e += rowErr[bk];
        }
        out[0] = o;
        out[1] = e;
    }

    // ------------------------------------------------------------------ float kernels (OtOptions.withScratchCost)

    private static final java.util.concurrent.atomic.AtomicReference<java.lang.ref.SoftReference<float[][]>> FLOAT_KERNEL_POOL =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** Float rows for a Gibbs kernel of {@code n x m} (pooled as {@link #kernelRows}). */
    static float[][] floatKernelRows(int n, int m) {
        float[][] k = (long) n * m >= POOL_MIN ? pooled(FLOAT_KERNEL_POOL) : null;
        if (k != null && k.length == n && k[0].length == m) return k;
        k = new float[n][];
        for (int i = 0; i < n; i++) {
            k[i] = new float[m];
        }
        return k;
    }

    static void releaseKernel(float[][] k) {
        if ((long) k.length * k[0].length >= POOL_MIN) FLOAT_KERNEL_POOL.set(new java.lang.ref.SoftReference<>(k));
    }

    /** {@link #gibbs} into float rows: each entry is rounded to float once and the column pass reads the rounded value. */
    static float[][] gibbsFloat(double[] c, int n, int m, double reg, double[] u, double[] ktu, double[][] partial, int threads) {
        float[][] k = floatKernelRows(n, m);
        double inr = -1.0 / reg;
        int nb = Par.blocks(n);
        boolean simd = vector;
        Par.forRange(threads, nb, (lo, hi) -> {
            double[] e = simd ? new double[m] : null;
            for (int bk = lo; bk < hi; bk++) {
                double[] acc = partial[bk];
                java.util.Arrays.fill(acc, 0.0);
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                    if (simd) {
                        if (KernelWarmup.EXP_ROW.ready()) {
                            VectorKernels.expRow(c, i * m, inr, m, e);
                        } else {
                            LaneKernels.expRow(c, i * m, inr, m, e);
                        }
                        roundRow(e, k[i], m, u[i], acc);
                        continue;
                    }
                    float[] ki = k[i];
                    for (int j = 0; j < m; j++) {
                        ki[j] = (float) Math.exp(c[i * m + j] * inr);
                        acc[j] += u[i] * ki[j];
                    }
                }
            }
        });
        reduceBlocks(partial, nb, m, ktu, threads);
        return k;
    }

    /** {@code ki[j] = (float) e[j]} and {@code acc[j] += ui * ki[j]} (one fused multiply-add with the rounded entry). */
    static void roundRow(double[] e, float[] ki, int m, double ui, double[] acc) {
        for (int j = 0; j < m; j++) {
            float f = (float) e[j];
            ki[j] = f;
            acc[j] = Math.fma(f, ui, acc[j]);
        }
    }

    /** {@link #fusedPass} over float rows (products and sums in double). */
    static void fusedPass(float[][] k, int n, int m, double[] v, double[] u, RowScale scale, double[] ktu, double[][] partial, int threads) {
        int nb = Par.blocks(n);
        boolean simd = vector;
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                double[] acc = partial[bk];
                java.util.Arrays.fill(acc, 0.0);
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                int i = bk * Par.BLOCK_ROWS;
                double[] t = simd ? new double[VectorKernels.lanes()] : null;
                double[] s8 = new double[8];
                for (; simd && i + 7 < r1; i += 8) {
                    if (KernelWarmup.DOT4.ready()) {
                        VectorKernels.dot4(k, i, v, m, s8, 0, t); // eight rows as two kernels of four (see VectorKernels.dot4)
                        VectorKernels.dot4(k, i + 4, v, m, s8, 4, t);
                    } else {
                        LaneKernels.dot4(k, i, v, m, s8, 0, t, t.length);
                        LaneKernels.dot4(k, i + 4, v, m, s8, 4, t, t.length);
                    }
                    for (int r = 0; r < 8; r++) {
                        u[i + r] = scale.apply(i + r, s8[r]);
                    }
                    if (KernelWarmup.AXPY4.ready()) {
                        VectorKernels.axpy4(k, i, u, m, acc);
                        VectorKernels.axpy4(k, i + 4, u, m, acc);
                    } else {
                        LaneKernels.axpy4(k, i, u, m, acc);
                        LaneKernels.axpy4(k, i + 4, u, m, acc);
                    }
                }
                for (; i < r1; i++) {
                    float[] ki = k[i];
                    double d = 0;
                    for (int j = 0; j < m; j++) {
                        d += ki[j] * v[j];
                    }
                    double ui = scale.apply(i, d);
                    u[i] = ui;
                    for (int j = 0; j < m; j++) {
                        acc[j] += ui * ki[j];
                    }
                }
            }
        });
        reduceBlocks(partial, nb, m, ktu, threads);
    }

    /**
     * {@link #materialisePlan} from float rows into {@code plan}, which may be {@code c} itself (each cost entry is read
     * before its plan entry is written); the float rows are handed back to the pool.
     */
    static double[] materialisePlan(float[][] k, double[] c, int n, int m, double[] u, double[] v, double[] a, int threads,
                                    double[] out, double[] plan) {
        boolean simd = vector;
        planRows(n, a, threads, out, null, simd, (i, bk, ro, t) -> {
            if (simd) {
                VectorKernels.planRow(u[i], k[i], v, c, i * m, plan, m, ro, t);
            } else {
                planRow(u[i], k[i], v, c, i * m, plan, m, ro);
            }
        });
        releaseKernel(k);
        return plan;
    }

    /**
     * {@link #materialisePlan} into a float plan (from {@link ArrayPool}): {@code plan[i m + j] = (float) (u_i K_ij v_j)};
     * {@code rowSums} and {@code colSums} get the sums of the unrounded entries (column sums per block of rows in
     * {@code partial}, added in block order, so they do not depend on the thread count). The float rows go back to the pool.
     */
    static float[] materialiseFloatPlan(float[][] k, double[] c, int n, int m, double[] u, double[] v, double[] a, int threads,
                                        double[] out, double[][] partial, double[] rowSums, double[] colSums) {
        float[] plan = ArrayPool.floats(n * m); // every entry is written
        int nb = Par.blocks(n);
        for (int bk = 0; bk < nb; bk++) {
            java.util.Arrays.fill(partial[bk], 0.0);
        }
        boolean simd = vector;
        planRows(n, a, threads, out, rowSums, simd, (i, bk, ro, t) -> {
            if (simd && KernelWarmup.PLAN_ROW_FLOAT.ready()) {
                VectorKernels.planRowFloat(u[i], k[i], v, c, i * m, plan, m, partial[bk], ro, t);
            } else if (simd) {
                LaneKernels.planRowFloat(u[i], k[i], v, c, i * m, plan, m, partial[bk], ro, t, VectorKernels.lanes());
            } else {
                planRowFloat(u[i], k[i], v, c, i * m, plan, m, partial[bk], ro);
            }
        });
        reduceBlocks(partial, nb, m, colSums, threads);
        releaseKernel(k);
        return plan;
    }

    private static void planRowFloat(double ui, float[] ki, double[] v, double[] c, int base, float[] plan, int m, double[] colAcc, double[] ro) {
        double rs = 0;
        double o = 0;
        for (int j = 0; j < m; j++) {
            double pij = ui * ki[j] * v[j];
            plan[base + j] = (float) pij;
            colAcc[j] += pij;
            rs += pij;
            o += pij * c[base + j];
        }
        ro[0] = rs;
        ro[1] = o;
    }

    /**
     * Entropy {@code -sum P log P} of a Sinkhorn plan {@code P = diag(u) K diag(v)}, {@code K = exp(-C / reg)}, from its
     * marginals: {@code <P, C> / reg - sum_i r_i log u_i - sum_j c_j log v_j}, since {@code log P_ij = log u_i - C_ij / reg
     * + log v_j}. With K held in float it differs from the entry-by-entry sum by at most {@code 2^-24} (the rounding of log K).
     */
    static double sinkhornEntropy(double objective, double reg, double[] u, double[] v, double[] rowSums, double[] colSums) {
        double h = objective / reg;
        for (int i = 0; i < u.length; i++) {
            if (rowSums[i] > 0) {
                h -= rowSums[i] * Math.log(u[i]);
            }
        }
        for (int j = 0; j < v.length; j++) {
            if (colSums[j] > 0) {
                h -= colSums[j] * Math.log(v[j]);
            }
        }
        return h;
    }

    // Small loops of the solvers' iterations live here, not in the solve methods: a solve method with loops of its own
    // gets compiled (with everything it inlines) several times over; these compile once and small.

    /** {@code out[j] = num[j] / den[j]}. */
    static void divide(double[] num, double[] den, double[] out, int m) {
        for (int j = 0; j < m; j++) {
            out[j] = num[j] / den[j];
        }
    }

    /** {@code sum_j (v_j ktu_j - b_j)^2}. */
    static double marginalSquares(double[] v, double[] ktu, double[] b, int m) {
        double s = 0;
        for (int j = 0; j < m; j++) {
            double d = v[j] * ktu[j] - b[j];
            s += d * d;
        }
        return s;
    }

    /** {@code sum_j |v_j ktu_j - b_j|}. */
    static double marginalL1(double[] v, double[] ktu, double[] b, int m) {
        double s = 0;
        for (int j = 0; j < m; j++) {
            s += Math.abs(v[j] * ktu[j] - b[j]);
        }
        return s;
    }

    static boolean allFinite(double[] x) {
        for (double d : x) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    static boolean anyZero(double[] x) {
        for (double d : x) {
            if (d == 0.0) {
                return true;
            }
        }
        return false;
    }
}
